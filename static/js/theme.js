// Projector theme toggle: large type and high contrast, remembered in a cookie so the server
// renders the right theme on the next page (no flash). Shortcut: Shift+P.
(() => {
  const root = document.documentElement;
  const KEY = "scalelab_theme";
  const sync = () => {
    for (const button of document.querySelectorAll("[data-theme-toggle]")) {
      button.setAttribute("aria-pressed", String(root.dataset.theme === "projector"));
    }
  };
  const toggle = () => {
    root.dataset.theme = root.dataset.theme === "projector" ? "auto" : "projector";
    document.cookie = `${KEY}=${root.dataset.theme}; path=/; max-age=31536000; samesite=lax`;
    sync();
    document.dispatchEvent(new CustomEvent("scalelab:theme", { detail: root.dataset.theme }));
  };
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-theme-toggle]")) toggle();
  });
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (!typing && event.shiftKey && (event.key === "P" || event.key === "p")) toggle();
  });
  sync();
})();
