"""gan_ui: the Streamlit front end of GAN Classroom.

    settings  environment switches (test mode, device), budgets, colours
    state     per-tab SessionStore (runs, models), shared read-only caches, cleanup on tab close
    images    digits, strips and grids as crisp PNGs (pure functions)
    latent    z <-> text, parsing pasted vectors with clear errors (pure functions)
    charts    plotly figures from training records (pure functions)
    explore   the Explore page: latent sliders, sweeps, interpolation, gallery
    train     the Train page: controls, live charts, timeline, results
    about     the About page: the math and how to read the charts
    source_view  'Show the code': the real gan_core source of what a page explains (inspect.getsource)
    lessons   the Learn page's eight lessons, as data (no Streamlit)
    learn     the Learn page: idea, predict, one-click run with the live panel, what to look for, answer
    coach_panel  the training-health coach's alerts beside the live charts (gan_core.coach)
    tabs      a browser tab's identity: the ?tab= token, kept in the URL and in every link between pages
    teacher   teacher links (?lesson=&lock=&hide=&allow=&projector=): locked/hidden controls, projector style,
              the link's address (from the browser's) and its QR code
    copy_button  a visible "Copy link" button (a small components-v2 element)
    layout    navigation (pages/ holds the two-line page scripts) and global styling

Only `explore`, `train`, `about`, `learn`, `coach_panel`, `tabs`, `teacher`, `copy_button`, `layout`, `source_view` and `state` import streamlit; the rest are plain
Python, tested without a browser. gan_core never imports anything from here.
"""
