// Numbers and words for the lab, in the page's language (Intl.NumberFormat; Korean counts in 만/천만).

export function makeFormat(locale, strings) {
  const korean = locale.startsWith("ko");
  const whole = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const one = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const two = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const sig3 = new Intl.NumberFormat(locale, { maximumSignificantDigits: 3 });
  const compactFmt = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });

  const word = (key, params = {}) => {
    const text = strings[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
  };

  const number = (value) => {
    if (value == null || !Number.isFinite(value)) return "–";
    const abs = Math.abs(value);
    if (abs >= 100 || Number.isInteger(value)) return whole.format(value);
    return sig3.format(value);
  };

  // 1, 10, 100, 1K … 10M (en); 1, 10, 100, 1천, 1만 … 천만 (ko)
  const compact = (value) => {
    if (value == null || !Number.isFinite(value)) return "–";
    if (Math.abs(value) < 1000) return number(value);
    if (korean) {
      if (value === 10_000_000) return "천만";
    }
    return compactFmt.format(value);
  };

  return {
    word,
    number,
    compact,
    whole: (value) => (value == null || !Number.isFinite(value) ? "–" : whole.format(value)),
    rate: (value) => `${compact(value)}${strings.per_s ?? "/s"}`,
    pct: (share) => (share == null || !Number.isFinite(share) ? "–" : `${whole.format(share * 100)}%`),
    pctPrecise: (share) => {
      if (share == null || !Number.isFinite(share)) return "–";
      if (share >= 1) return "100%";
      const value = share * 100;
      return `${(value >= 99 ? two : one).format(value)}%`;
    },
    ms: (value) => {
      if (value == null || !Number.isFinite(value)) return "–";
      if (value >= 10_000) return `${one.format(value / 1000)} ${strings.s_unit ?? "s"}`;
      return `${value >= 10 ? whole.format(value) : sig3.format(value)} ${strings.ms_unit ?? "ms"}`;
    },
    money: (value) => (value == null || !Number.isFinite(value) ? "–" : two.format(value)),
    seconds: (value) => one.format(value ?? 0),
  };
}

// The log slider: position x (0..7) ↔ users 10^x, rounded to two significant digits.
export function fromLog(position, min = 1, max = 10_000_000) {
  const raw = 10 ** Number(position);
  const digits = Math.max(0, Math.floor(Math.log10(raw)) - 1);
  const rounded = Math.round(raw / 10 ** digits) * 10 ** digits;
  return Math.min(max, Math.max(min, rounded));
}

export function toLog(value) {
  return Math.log10(Math.max(1, Number(value) || 1));
}
