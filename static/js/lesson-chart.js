// Lesson chart: draws the server-built plotly figure with the page's design tokens.
// The plotly bundle (~400 KB gzipped) is fetched only when the chart comes near the viewport, so
// reading a lesson costs little until its chart is wanted. Colours in the figure are written
// "token:--name" and replaced by the current value of that CSS variable; the chart is redrawn
// when the theme (dark mode, projector) changes.
(() => {
  const TOKEN = "token:";
  let plotly = null;

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

  const loadPlotly = (src) => {
    if (window.Plotly) return Promise.resolve(window.Plotly); // the live lab may have loaded it
    plotly ??= new Promise((done, fail) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = () => done(window.Plotly);
      script.onerror = fail;
      document.head.append(script);
    });
    return plotly;
  };

  const draw = (element) => {
    const source = document.getElementById(element.dataset.chart);
    if (!source || !window.Plotly) return;
    const style = getComputedStyle(document.documentElement);
    const figure = resolve(JSON.parse(source.textContent), style);
    const scale = parseFloat(style.getPropertyValue("--scale")) || 1;
    const narrow = element.clientWidth < 520;
    figure.layout.font = { ...figure.layout.font, size: Math.round((narrow ? 12 : 14) * scale) };
    if (narrow) {
      // Phones: category labels break before their parenthesis instead of tilting, titles hug the axes.
      for (const trace of figure.data) {
        if (Array.isArray(trace.x) && trace.x.some((x) => typeof x === "string")) {
          trace.x = trace.x.map((x) => (typeof x === "string" ? x.replace(/\s*\(/, "<br>(") : x));
        }
      }
      figure.layout.xaxis = { ...figure.layout.xaxis, tickangle: 0 };
      figure.layout.yaxis = { ...figure.layout.yaxis, title: { ...figure.layout.yaxis.title, standoff: 4 } };
    }
    const config = { displayModeBar: false, responsive: true, scrollZoom: false, doubleClick: false };
    window.Plotly.react(element, figure.data, figure.layout, config);
    element.dataset.drawn = "true";
  };

  const redrawAll = () => document.querySelectorAll("[data-chart][data-drawn]").forEach(draw);

  const start = () => {
    const charts = [...document.querySelectorAll("[data-chart]")];
    const show = (element) => loadPlotly(element.dataset.plotlySrc).then(() => draw(element));
    if ("IntersectionObserver" in window) {
      const observer = new IntersectionObserver(
        (entries) => {
          for (const entry of entries) {
            if (entry.isIntersecting) {
              observer.unobserve(entry.target);
              show(entry.target);
            }
          }
        },
        { rootMargin: "600px 0px" },
      );
      charts.forEach((element) => observer.observe(element));
    } else {
      charts.forEach(show);
    }
    document.addEventListener("scalelab:theme", redrawAll);
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redrawAll);
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
