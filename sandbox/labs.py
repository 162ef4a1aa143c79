"""Labs: which live lab a visitor gets, as named actions and selectors (views call these).

A visitor's labs are recorded in their session: `session["labs"]` maps a preset to the lab
they use for it, and `session["lab_ids"]` lists every lab the session owns (so a lab replaced
by a fork stays reachable from a tab that still shows it). A socket may attach only to a lab
its session owns. The lab's state itself lives in the lab store (`sandbox.store`).

    handle = lab_open(session=request.session, preset="web-tier")
    handle.ws_path      # "/ws/lab/<id>/"  — the page's socket
    handle.share_path   # "/lab/s/<token>/" — opening it forks a copy (lab_fork)
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from sandbox import store
from sandbox.engine import PRESETS

SESSION_LABS = "labs"  # {preset: lab_id}
SESSION_LAB_IDS = "lab_ids"  # every lab this session owns, newest last
MAX_OWNED_LABS = 50
# Simulation.from_preset's default seed: presets carry no seed of their own.
DEFAULT_SEED = 1

Session = MutableMapping[str, Any]  # a Django session (SessionBase) or any mapping in tests


class LabPresetUnknown(Exception):
    """No preset by that name (the view answers 404)."""


class LabNotFound(Exception):
    """No lab for that share token (unknown or expired; the view answers 404)."""


@dataclass(frozen=True)
class LabHandle:
    id: str
    preset: str
    seed: int
    share_token: str

    @property
    def ws_path(self) -> str:
        return f"/ws/lab/{self.id}/"

    @property
    def share_path(self) -> str:
        return f"/lab/s/{self.share_token}/"

    @classmethod
    def from_meta(cls, meta: store.LabMeta) -> LabHandle:
        return cls(id=meta.id, preset=meta.preset, seed=meta.seed, share_token=meta.share_token)


# ---------------------------------------------------------------- actions


def lab_open(*, session: Session, preset: str) -> LabHandle:
    """The visitor's lab for `preset`: the one their session has, if it still exists, else a new
    one (the preset with its default seed, an empty command log), recorded in the session."""
    if preset not in PRESETS:
        raise LabPresetUnknown(preset)
    lab_id = (session.get(SESSION_LABS) or {}).get(preset)
    if isinstance(lab_id, str):
        meta = store.lab_meta(lab_id)
        if meta is not None and meta.preset == preset:
            store.lab_touch(meta)
            return LabHandle.from_meta(meta)
    meta = store.lab_create(preset=preset, seed=DEFAULT_SEED)
    _session_record(session, meta)
    return LabHandle.from_meta(meta)


def lab_fork(*, session: Session, share_token: str) -> LabHandle:
    """Open a share link: a copy of the shared lab (preset, seed, command log, snapshot and its
    current tick, so the copy goes on from where the original is), owned by this session and
    recorded as its lab for that preset. The copy and the original then diverge independently."""
    lab_id = store.lab_id_for_share(share_token) if share_token else None
    source = store.lab_meta(lab_id) if lab_id else None
    if source is None:
        raise LabNotFound(share_token)
    meta = store.lab_copy(source)
    _session_record(session, meta)
    return LabHandle.from_meta(meta)


def _session_record(session: Session, meta: store.LabMeta) -> None:
    labs = dict(session.get(SESSION_LABS) or {})
    labs[meta.preset] = meta.id
    session[SESSION_LABS] = labs  # reassigned, so Django sees the change and saves the session
    owned = [i for i in session.get(SESSION_LAB_IDS) or [] if i != meta.id]
    session[SESSION_LAB_IDS] = [*owned, meta.id][-MAX_OWNED_LABS:]


# ---------------------------------------------------------------- selectors


def lab_owned(*, session: Session, lab_id: str) -> bool:
    """Whether the session owns the lab (the socket's permission check)."""
    if lab_id in (session.get(SESSION_LAB_IDS) or []):
        return True
    return lab_id in (session.get(SESSION_LABS) or {}).values()


def lab_get(*, lab_id: str) -> LabHandle | None:
    meta = store.lab_meta(lab_id)
    return LabHandle.from_meta(meta) if meta is not None else None
