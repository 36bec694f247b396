"""gan_ui: the Streamlit front end of GAN Classroom. Each module has one owner; imports only go down this list.

Plain Python (no Streamlit), tested without a browser:
    settings     environment switches (test mode, device), budgets, colours, the server's limits
    images       digits, strips and grids as crisp PNGs
    charts       plotly figures from training records;  compare: the comparison of runs
    lessons      the Learn page's lessons, as data (translated with lessons.translated); the texts in
                 lessons_basics and lessons_more, what a lesson is in lesson_model

State (who owns what):
    catalogue    the models Explore can open (ModelEntry): shipped, runs, uploads, saved runs
    server       what a server process shares: the training queue and backend, the journal, the shelf, the data
    run_handle   RunHandle: one run as every page reads it (plain reads, commands; never a Trainer)
    store        SessionStore: a tab's runs and models; SessionStore.start(cfg) is the one way a run starts
    state        a tab's store across its pages' lifetimes (session_store(), cleanup when a tab closes)
    tabs         a browser tab's identity: the ?tab= token, kept in the URL and in every link
    latent       the tab's z (the sliders' values, the digit asked for) and z as text
    controls     the Train controls <-> GANConfig, both ways; start_from_controls()
    teacher      teacher links (?lesson=&lock=&hide=&allow=&projector=), their address and QR code

Views:
    layout       page specs, links between pages that keep the tab, global CSS
    live_chart, copy_button, source_view, inside_view, coach_panel   small elements the pages share
    live_panel   a run while it trains: status, charts, samples, sample quality
    step_view    step mode of a paused run: one D/G step or iteration, and what it changed
    timeline     a run after it trained: its snapshots, open/download/bundle;  run_tools: bundle, config, compare
    explore, lab, scrub   the Explore page: sliders, latent lab, scrub mode (the generator in the browser)
    train, learn, about, playground   the pages
    frame        the top: set-up once per process, the tab's language, the menu, the page to run (app.py calls it)

gan_core never imports anything from here.
"""
