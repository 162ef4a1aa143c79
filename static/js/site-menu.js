// Phone menu: on narrow screens the navigation and account links fold behind a Menu button.
// Without JavaScript the button stays hidden and the links are simply shown.
(() => {
  const button = document.querySelector("[data-menu-toggle]");
  const menu = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) return;
  const setOpen = (open) => {
    button.setAttribute("aria-expanded", String(open));
    menu.toggleAttribute("data-open", open);
  };
  document.documentElement.classList.add("has-menu");
  button.hidden = false;
  button.addEventListener("click", () => setOpen(button.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
})();
