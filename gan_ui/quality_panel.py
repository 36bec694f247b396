"""A run's "Sample quality" panel: what a digit classifier reads in G's samples while an MNIST run trains
(classes present, class KL, classifier IS, the Fréchet distance curve with its real-data floor).

gan_core.QualityMonitor measures it on its own thread every few hundred steps; this panel only draws its records.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from gan_core.i18n import _, format_number, format_percent, get_language

from . import live_chart, quality_charts
from .language import use_language
from .run_handle import RunHandle


def fmt_fd(v: float) -> str:
    """A Fréchet distance: whole numbers when large (745, 1,230), one decimal when small (10.8)."""
    return format_number(v, 0 if v >= 100 else 1)


def quality_body(run: RunHandle) -> None:
    use_language()
    if run.status != "queued":
        quality_panel(run)


def quality_panel(run: RunHandle) -> None:
    """What a digit classifier reads in G's samples, measured every few hundred steps by gan_core's
    QualityMonitor on its own thread; this only draws its records."""
    st.subheader(_("Sample quality"), divider="gray")
    mon = run.quality
    if mon is None:
        st.caption(_(run.quality_note) if run.quality_note else _("No sample-quality measurements for this run."))
        return
    recs = mon.records()
    if mon.error:
        st.warning(_("Quality measurements stopped: {error}").format(error=mon.error), icon=":material/warning:")
    if not recs:
        st.caption(
            _(
                "A digit classifier reads {n} digits that G draws from fixed noise every {every} steps; "
                "the first reading appears in a moment."
            ).format(n=mon.n, every=mon.every)
        )
        return
    step, q = recs[-1]
    real = mon.real_scores()
    k = len(q.histogram)
    st.caption(
        _(
            "Every {every} steps and at the end, a digit classifier reads {n} digits that G draws "
            "from the same fixed noise. Latest reading: step {step}."
        ).format(every=mon.every, n=mon.n, step=format_number(step))
    )
    m1, m2, m3, m4 = st.columns(4)
    with m1:
        st.metric(_("Classes present"), f"{len(q.classes_present)}/{k}")
        st.caption(_("Digits that make up at least 1 in 100 samples — fewer means mode collapse."))
    with m2:
        st.metric(_("Class KL"), f"{q.class_kl:.2f}")
        st.caption(
            _("How far the mix of digits is from the data's: 0 = the same mix, {top:.1f} = one digit only.").format(
                top=np.log(k)
            )
        )
    with m3:
        st.metric(_("Classifier IS"), f"{q.inception_score:.1f}")
        st.caption(
            _("High when digits are both clear and varied: 1 to {k}; real digits score {real:.1f}.").format(
                k=k, real=real["inception_score"]
            )
        )
    with m4:
        st.metric(_("Fréchet distance"), fmt_fd(q.frechet))
        st.caption(
            _("Gap to real digits as the classifier sees them; lower is better, the floor is {floor}.").format(
                floor=fmt_fd(q.frechet_floor)
            )
        )
    if q.code_purity is not None:
        st.caption(
            _(
                "**InfoGAN code purity {purity}**: the share of samples the classifier reads as their "
                "code's most common digit. 10 % = the codes mean nothing yet, 100 % = each code has become one "
                "digit, although G was never shown a label."
            ).format(purity=format_percent(q.code_purity))
        )
    rev = f"quality-{run.number}"
    figs = run.memo(
        "quality",
        (len(recs), get_language()),  # a language switch redraws them
        lambda: (
            quality_charts.class_histogram_figure(q.histogram, mon.class_dist, step, rev),
            quality_charts.frechet_figure([s for s, _ in recs], [r.frechet for _, r in recs], q.frechet_floor, rev),
        ),
    )
    c1, c2 = st.columns(2, gap="medium")
    with c1:
        live_chart.live_plotly(figs[0], key=f"qhist_{run.number}")
        st.caption(_("Bars: share of G's samples read as each digit. Dark ticks: that digit's share of the real data."))
    with c2:
        live_chart.live_plotly(figs[1], key=f"qfd_{run.number}")
        st.caption(
            _("Falls as G learns. Dashed: what {n} real digits score — the best reachable at this sample size.").format(
                n=q.n
            )
        )
