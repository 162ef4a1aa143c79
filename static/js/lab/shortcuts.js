// Presenter keys: Space or "." (what a presenter remote sends) play/pause, → steps, M reduces
// motion, ? shows the sheet. Never while typing in a field or with a dialog open; Space is left
// to buttons and links (it activates them). On a lesson page only while the focus is in the lab;
// on a lab page of its own, anywhere.

const TYPING = "input, textarea, select, [contenteditable=''], [contenteditable=true]";

export class Shortcuts {
  constructor(root, { standalone, actions }) {
    this.root = root;
    this.standalone = standalone;
    this.actions = actions;
    this._key = (event) => this.key(event);
    document.addEventListener("keydown", this._key);
  }

  key(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target instanceof Element ? event.target : document.body;
    if (target.closest(TYPING)) return;
    if (document.querySelector("dialog[open]")) return;
    const inLab = this.root.contains(target);
    if (!this.standalone && !inLab) return;
    const onControl = target.closest("button, a, summary, [role=button]");
    const onNode = target.closest("[data-node]");
    switch (event.key) {
      case " ":
        if (onControl) return;
        event.preventDefault();
        this.actions.togglePlay();
        break;
      case ".":
        event.preventDefault();
        this.actions.togglePlay();
        break;
      case "ArrowRight":
        if (onNode) return; // the diagram moves between nodes
        event.preventDefault();
        this.actions.step();
        break;
      case "m":
      case "M":
        if (event.shiftKey) return;
        event.preventDefault();
        this.actions.toggleMotion();
        break;
      case "?":
        event.preventDefault();
        this.actions.showSheet();
        break;
      default:
        break;
    }
  }

  destroy() {
    document.removeEventListener("keydown", this._key);
  }
}
