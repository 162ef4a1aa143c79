// Lesson chart: draws the server-built plotly figure with the page's design tokens.
// Colours in the figure are written "token:--name"; each is replaced by the current value of that
// CSS variable, and the chart is redrawn when the theme (dark mode, projector) changes.
(() => {
  const TOKEN = "token:";
  const resolve = (value, style) => {
    if (typeof value === "string" && value.startsWith(TOKEN)) {
      return style.getPropertyValue(value.slice(TOKEN.length)).trim() || "#555";
    }
    if (Array.isArray(value)) return value.map((item) => resolve(item, style));
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(item, style)]));
    }
    return value;
  };
  const draw = (element) => {
    const source = document.getElementById(element.dataset.chart);
    if (!source || !window.Plotly) return;
    const style = getComputedStyle(document.documentElement);
    const figure = resolve(JSON.parse(source.textContent), style);
    const scale = parseFloat(style.getPropertyValue("--scale")) || 1;
    figure.layout.font = { ...figure.layout.font, size: Math.round(14 * scale) };
    const config = { displayModeBar: false, responsive: true, scrollZoom: false, doubleClick: false };
    window.Plotly.react(element, figure.data, figure.layout, config);
  };
  const drawAll = () => document.querySelectorAll("[data-chart]").forEach(draw);
  const start = () => {
    drawAll();
    document.addEventListener("scalelab:theme", drawAll);
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", drawAll);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
