"""gan_ui: the Streamlit front end of GAN Classroom. Each module has one owner; imports only go down this list.

Plain Python (no Streamlit), tested without a browser:
    settings     environment switches (test mode, device), budgets, colours, the server's limits
    images       digits, strips and grids as crisp PNGs
    charts       plotly figures from training records;  quality_charts: the sample-quality figures
    compare      the comparison of runs
    lessons      the Learn page's lessons, as data (translated with lessons.translated); the texts in
                 lessons_basics and lessons_more, what a lesson is in lesson_model; lessons_playground:
                 the Playground's lessons
    teacher_params   what a teacher link may say (lock/hide/allow names) and parse(): pure
    class_feed   a run's tile for the class board (plain data + a 4x4 grid) and ClassFeed: one tab's throttled writes

State (who owns what):
    catalogue    the models Explore can open (ModelEntry): shipped, runs, uploads, saved runs
    server       what a server process shares: the training queue and backend, the journal, the shelf, the data
    run_handle   RunHandle: one run as every page reads it (plain reads, commands; never a Trainer)
    store        SessionStore: a tab's runs and models; SessionStore.start(cfg) is the one way a run starts
    state        a tab's store across its pages' lifetimes (session_store(), cleanup when a tab closes)
    tabs         a browser tab's identity: the ?tab= token, kept in the URL and in every link
    language     the tab's language (switch, ?lang=, browser locale), set for every run and fragment rerun
    latent       the tab's z (the sliders' values, the digit asked for) and z as text
    controls     the Train controls <-> GANConfig, both ways; start_from_controls(); preset_label()
    number_checks  why a typed number (steps, seed, D steps) is refused, shown under its box
    names        presets and losses as a page shows them (a translated name beside the key)
    projector    projector mode's look: its CSS, colours and restyled figures
    teacher      a tab's teacher settings from its link (?lesson=&lock=&hide=&allow=&projector=): locks, hiding
    playground_game  the Playground's game for a session: state, steps, bursts, frames for the view
    class_publisher  the thread that writes every class member's tiles, whatever page the student has open
    class_state  a tab's class: the process's class database, the tab's membership (found by its token), pushed locks

Views:
    layout       page specs, links between pages that keep the tab, global CSS
    live_chart, copy_button, source_view, inside_view, coach_panel   small elements the pages share
    live_panel   a run while it trains: status, charts, samples (polled in a fragment)
    pace_notice, quality_panel   the live panel's queue and pace notices; its sample-quality panel
    step_view    step mode of a paused run: one D/G step or iteration, and what it changed
    timeline     a run after it trained: its snapshots, open/download/bundle;  run_tools: bundle, config, compare
    explore_model  Explore's generator picker and uploads, class names, the first z
    explore_sliders, explore_views   Explore's latent sliders; interpolation, gallery, training timeline
    lab          the latent lab's hand-over of a found z;  lab_directions, lab_digit (+ lab_find): its tabs
    explore, scrub   the Explore page (its tabs); scrub mode (the generator in the browser)
    choices      a widget's choice (the open tab, model, option) kept through a change of language
    teacher_link the teacher-link builder: the link, the app's address, its QR code, the expander that makes it
    learn_run, learn_extras   a lesson's predict-then-run flow and its run; the latent and augmentation panels
    train_controls  the Train page's left column: recipe, budget, advanced settings, run buttons
    class_board  the teacher's class board (tiles, sort/filter, leaderboard, hall of collapse, locks, hand-ins)
    class_page   the Class page: join, hand in, leave; create a class; the board for its secret link
    playground_settings, playground_lesson   the Playground's settings widgets; its lessons' predict-then-run
    train, learn, about, playground   the pages
    frame        the top: the language switch in the menu, the page to run (app.py calls it); it imports no page
    warmup       start-up work on a background thread: the default generator, the other pages, gc.freeze()
    __main__     `python -m gan_ui`: `streamlit run app.py` with the warm-up started before the first tab

gan_core never imports anything from here.
"""
