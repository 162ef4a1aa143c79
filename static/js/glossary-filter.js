// Glossary filter (progressive enhancement): without JavaScript every term is simply listed.
(() => {
  const start = () => {
    const box = document.querySelector("[data-glossary-filter]");
    if (!box) return;
    const input = box.querySelector("input");
    const count = box.querySelector("[aria-live]");
    const entries = [...document.querySelectorAll("[data-glossary-entry]")];
    const groups = [...document.querySelectorAll("[data-glossary-group]")];
    box.hidden = false;
    let timer = null;
    const apply = () => {
      const query = input.value.trim().toLowerCase();
      let shown = 0;
      for (const entry of entries) {
        const match = !query || entry.dataset.search.includes(query);
        entry.hidden = !match;
        if (match) shown += 1;
      }
      for (const group of groups) group.hidden = !group.querySelector("[data-glossary-entry]:not([hidden])");
      clearTimeout(timer);
      timer = setTimeout(() => {
        count.textContent = !query ? "" : shown
          ? count.dataset.templateSome.replace("{count}", shown)
          : count.dataset.templateNone;
      }, 400);
    };
    input.addEventListener("input", apply);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
