"""A "Copy link" button: puts a text on the clipboard with one click (a Streamlit custom component, v2).

st.code has a copy icon, but it shows only on hover, which a teacher at a projector or on a tablet may never
see. This is a plain, always visible button. The clipboard API needs a secure page (https, or localhost);
a class server is often opened at http://192.168.x.y, where it is missing, so the button falls back to
selecting the text in a hidden textarea and document.execCommand("copy"). It says whether the copy worked.

Without a browser (AppTest) the component cannot run; nothing is drawn there, and st.code's icon remains.
"""

from __future__ import annotations

import functools

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from gan_core.i18n import _

_JS = """
export default function (component) {
  const { data, parentElement } = component;
  let btn = parentElement.querySelector("button.gan-copy");
  let note = parentElement.querySelector(".gan-copy-note");
  if (!btn) {
    btn = document.createElement("button");
    btn.className = "gan-copy";
    btn.type = "button";
    note = document.createElement("span");
    note.className = "gan-copy-note";
    note.setAttribute("role", "status");
    parentElement.appendChild(btn);
    parentElement.appendChild(note);
    btn.addEventListener("click", async () => {
      const text = btn.dataset.text || "";
      let ok = false;
      try {
        if (navigator.clipboard && window.isSecureContext) {
          await navigator.clipboard.writeText(text);
          ok = true;
        }
      } catch (e) { ok = false; }
      if (!ok) {
        const area = document.createElement("textarea");
        area.value = text;
        area.setAttribute("readonly", "");
        area.style.position = "fixed";
        area.style.opacity = "0";
        document.body.appendChild(area);
        area.select();
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        document.body.removeChild(area);
      }
      note.textContent = ok ? btn.dataset.copied : btn.dataset.failed;
    });
  }
  btn.textContent = data.label || "";
  btn.dataset.text = data.text || "";
  btn.dataset.copied = data.copied || "";
  btn.dataset.failed = data.failed || "";
  note.textContent = "";
}
"""

_CSS = """
.gan-copy { font: inherit; padding: 0.3rem 0.9rem; border-radius: 0.5rem; cursor: pointer;
            border: 1px solid rgba(49, 51, 63, 0.25); background: #ffffff; color: rgb(49, 51, 63); }
.gan-copy:hover { border-color: #ff4b4b; color: #ff4b4b; }
.gan-copy-note { margin-left: 0.6rem; font-size: 0.85rem; color: rgba(49, 51, 63, 0.7); }
"""


@functools.cache
def _component():
    return st.components.v2.component("gan_copy_button", css=_CSS, js=_JS, isolate_styles=False)


def _browser() -> bool:
    """A real server with a browser on the other end (AppTest runs a mock Runtime that runs no component JS)."""
    return (
        get_script_run_ctx(suppress_warning=True) is not None
        and Runtime.exists()
        and type(Runtime.instance()) is Runtime
    )


def copy_button(text: str, label: str | None = None, key: str = "copy") -> None:
    """A button that copies `text` to the clipboard ("Copy link" unless `label` says otherwise); nothing where no
    browser runs the page. Its words (the label, "Copied.", the failure note) come from the catalogue."""
    if not _browser():
        return
    data = {
        "text": text,
        "label": label or _("Copy link"),
        "copied": _("Copied."),
        "failed": _("Could not copy: select the link above and copy it."),
    }
    _component()(key=key, data=data, height="content")
