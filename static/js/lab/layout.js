// Where every box of the diagram goes: tiers top to bottom (users and DNS, CDN, then each data
// center with its load balancer, web pools beside their session store and cache, databases beside
// the queue, consumers), rows wrapping to the width we have, so a phone never scrolls sideways.
// Pure geometry: no DOM. Recomputed on every keyframe that changes the topology, and on resize.

export function sizes(width, scale = 1) {
  const compact = width < 560;
  const roomy = width >= 860;
  const s = scale;
  return {
    compact,
    scale: s,
    // On phones, three web servers side by side still fit in their pool.
    nodeW: Math.round((compact ? Math.max(86, Math.min(104, Math.floor((width - 66) / 3))) : roomy ? 148 : 132) * s),
    nodeH: Math.round((compact ? 60 : roomy ? 72 : 66) * s),
    gap: Math.round((compact ? 10 : 16) * s),
    band: Math.round((compact ? 30 : 38) * s),
    pad: Math.round((compact ? 8 : 14) * s),
    dcPad: Math.round((compact ? 8 : 14) * s),
    dcHead: Math.round(24 * s),
    poolPad: Math.round((compact ? 6 : 10) * s),
    poolHead: Math.round(20 * s),
  };
}

// Lay items (each {w, h}) out in rows no wider than maxW, each row centred; returns the height.
function flow(items, x0, y0, maxW, gap, align = "center") {
  const rows = [];
  let row = [];
  let rowW = 0;
  for (const item of items) {
    const need = row.length ? rowW + gap + item.w : item.w;
    if (row.length && need > maxW) {
      rows.push({ items: row, w: rowW });
      row = [item];
      rowW = item.w;
    } else {
      row.push(item);
      rowW = need;
    }
  }
  if (row.length) rows.push({ items: row, w: rowW });
  let y = y0;
  rows.forEach((r, index) => {
    const h = Math.max(...r.items.map((item) => item.h));
    let x = align === "end" ? x0 + maxW - r.w : x0 + (maxW - r.w) / 2;
    for (const item of r.items) {
      item.x = x;
      item.y = y + (h - item.h) / 2;
      item.row = index;
      x += item.w + gap;
    }
    y += h + gap;
  });
  return rows.length ? y - gap - y0 : 0;
}

const DB_ORDER = { master: 0, replica: 1, shard: 2 };

export function layout(state, width, scale = 1) {
  const z = sizes(width, scale);
  const boxes = new Map(); // node id -> {x, y, w, h}
  const pools = new Map(); // group id -> {x, y, w, h, group}
  const dcBoxes = new Map(); // dc id -> {x, y, w, h, dc}
  const node = (n) => ({ kind: "node", id: n.id, w: z.nodeW, h: z.nodeH });
  const byTier = (tier, dc) => state.nodes.filter((n) => n.tier === tier && (dc === undefined || n.dc === dc));
  const place = (items) => {
    for (const item of items) {
      if (item.kind === "node") boxes.set(item.id, { x: item.x, y: item.y, w: item.w, h: item.h, row: item.row });
    }
  };

  let y = z.pad;
  const innerW = width - 2 * z.pad;

  // Data centers side by side when each gets room for two nodes (shrinking the nodes a little
  // if that is what it takes), else one under the other.
  const dcs = state.dcs.length ? state.dcs : [{ id: null, region: "" }];
  const minDcW = (nodeW) => 2 * nodeW + z.gap + 2 * z.dcPad + 2 * z.poolPad;
  let perRow = Math.max(1, Math.min(dcs.length, Math.floor((innerW + z.gap) / (minDcW(z.nodeW) + z.gap))));
  if (perRow < dcs.length) {
    const share = (innerW - (dcs.length - 1) * z.gap) / dcs.length;
    const fit = Math.floor((share - 2 * z.dcPad - 2 * z.poolPad - z.gap) / 2);
    if (fit >= Math.round((z.compact ? 86 : 104) * z.scale)) {
      z.nodeW = Math.min(z.nodeW, fit);
      perRow = dcs.length;
    }
  }

  // Users of each region, and DNS beside them.
  const top = [...byTier("clients").map(node), ...byTier("dns").map(node)];
  if (top.length) {
    y += flow(top, z.pad, y, innerW, z.gap) + z.band;
    place(top);
  }
  const cdn = byTier("cdn").map(node);
  if (cdn.length) {
    y += flow(cdn, z.pad, y, innerW, z.gap) + z.band;
    place(cdn);
  }

  const dcW = (innerW - (perRow - 1) * z.gap) / perRow;
  // A web pool of up to four servers on one row when slightly narrower nodes allow it.
  const widest = Math.min(4, Math.max(0, ...state.groups.map((g) => g.members.length)));
  if (widest > 1 && !z.compact) {
    const inner = dcW - 2 * z.dcPad - 2 * z.poolPad;
    const fit = Math.floor((inner - (widest - 1) * z.gap) / widest);
    if (fit < z.nodeW && fit >= Math.round(112 * z.scale)) z.nodeW = fit;
  }
  let rowTop = y;
  let rowBottom = y;
  dcs.forEach((dc, index) => {
    const column = index % perRow;
    if (column === 0 && index > 0) rowTop = rowBottom + z.gap;
    const x0 = z.pad + column * (dcW + z.gap) + z.dcPad;
    const w = dcW - 2 * z.dcPad;
    let dy = rowTop + z.dcHead + z.dcPad;
    const inDc = (n) => dc.id === null || n.dc === dc.id;

    const lbs = state.nodes.filter((n) => n.tier === "lb" && inDc(n)).map(node);
    if (lbs.length) {
      dy += flow(lbs, x0, dy, w, z.gap) + z.band;
      place(lbs);
    }

    // Web pools (one per service) with their session store and cache beside them.
    const web = [];
    for (const group of state.groups.filter((g) => dc.id === null || g.dc === dc.id)) {
      const members = group.members.filter((id) => state.byId.has(id));
      const maxCols = Math.max(1, Math.floor((w - 2 * z.poolPad + z.gap) / (z.nodeW + z.gap)));
      const cols = Math.max(1, Math.min(members.length, maxCols));
      const rows = Math.max(1, Math.ceil(members.length / cols));
      web.push({
        kind: "pool",
        group,
        members,
        cols,
        w: cols * z.nodeW + (cols - 1) * z.gap + 2 * z.poolPad,
        h: rows * z.nodeH + (rows - 1) * z.gap + z.poolHead + z.poolPad,
      });
    }
    const sides = [...state.nodes.filter((n) => (n.tier === "session" || n.tier === "cache") && inDc(n)).map(node)];
    // Web servers that belong to no group (should not happen) still get drawn.
    const grouped = new Set(web.flatMap((p) => p.members));
    const loose = state.nodes.filter((n) => n.tier === "web" && inDc(n) && !grouped.has(n.id)).map(node);
    const webBand = [...web, ...loose, ...sides];
    if (webBand.length) {
      dy += flow(webBand, x0, dy, w, z.gap) + z.band;
      for (const pool of web) {
        pools.set(pool.group.id, { x: pool.x, y: pool.y, w: pool.w, h: pool.h, group: pool.group });
        pool.members.forEach((id, i) => {
          const col = i % pool.cols;
          const row = Math.floor(i / pool.cols);
          boxes.set(id, {
            x: pool.x + z.poolPad + col * (z.nodeW + z.gap),
            y: pool.y + z.poolPad + row * (z.nodeH + z.gap),
            w: z.nodeW,
            h: z.nodeH,
            row, // a wrapped row: edges from above come in from the side, not through the row above
          });
        });
      }
      place(loose);
      place(sides);
    }

    const dbs = state.nodes
      .filter((n) => n.tier === "db" && inDc(n))
      .sort((a, b) => (DB_ORDER[a.role] ?? 3) - (DB_ORDER[b.role] ?? 3) || a.index - b.index)
      .map(node);
    const queue = state.nodes.filter((n) => n.tier === "queue" && inDc(n)).map(node);
    const dataBand = [...dbs, ...queue];
    if (dataBand.length) {
      dy += flow(dataBand, x0, dy, w, z.gap) + z.band;
      place(dataBand);
    }
    // Consumers sit in a box of their own, fed by one edge from the queue (the sum of theirs).
    const workers = state.nodes.filter((n) => n.tier === "worker" && inDc(n));
    if (workers.length) {
      const group = { id: `${dc.id ?? "dc"}/workers`, tier: "worker", service: "worker", dc: dc.id, members: workers.map((n) => n.id) };
      const maxCols = Math.max(1, Math.floor((w - 2 * z.poolPad + z.gap) / (z.nodeW + z.gap)));
      const cols = Math.max(1, Math.min(workers.length, maxCols));
      const rows = Math.ceil(workers.length / cols);
      const box = {
        kind: "pool",
        w: cols * z.nodeW + (cols - 1) * z.gap + 2 * z.poolPad,
        h: rows * z.nodeH + (rows - 1) * z.gap + z.poolHead + z.poolPad,
      };
      dy += flow([box], x0, dy, w, z.gap, queue.length && cols < maxCols ? "end" : "center") + z.band;
      pools.set(group.id, { x: box.x, y: box.y, w: box.w, h: box.h, group, synthetic: true });
      workers.forEach((n, i) => {
        const col = i % cols;
        const row = Math.floor(i / cols);
        boxes.set(n.id, {
          x: box.x + z.poolPad + col * (z.nodeW + z.gap),
          y: box.y + z.poolPad + row * (z.nodeH + z.gap),
          w: z.nodeW,
          h: z.nodeH,
          row,
        });
      });
    }
    // Replication edges dip below the database row: leave them room inside the box.
    const replicas = dbs.length > 1 ? Math.min(z.band * 0.9, 34 * z.scale) * 0.8 : 0;
    const bottom = dy - z.band + z.dcPad + (workers.length ? 0 : replicas);
    if (dc.id !== null) dcBoxes.set(dc.id, { x: x0 - z.dcPad, y: rowTop, w: dcW, h: bottom - rowTop, dc });
    rowBottom = Math.max(rowBottom, bottom);
  });
  // Stretch the data centers of one row to the same height.
  for (const box of dcBoxes.values()) {
    const sameRow = [...dcBoxes.values()].filter((other) => other.y === box.y);
    box.h = Math.max(...sameRow.map((other) => other.h));
  }
  const height = Math.ceil(rowBottom + z.pad);
  return { width, height, z, boxes, pools, dcBoxes, edges: routeEdges(state, boxes, pools, z) };
}

// --- Edges: a cubic Bézier from the source's bottom to the target's top (or side to side, or a
// dip below the row for replication), sampled so dots move at constant speed.

// Edges into a consumer box become one edge whose rates are the sum of its members' edges.
function mergeIntoBoxes(state, pools) {
  const boxOf = new Map();
  for (const [id, pool] of pools) if (pool.synthetic) for (const member of pool.group.members) boxOf.set(member, id);
  const merged = new Map();
  const edges = [];
  for (const edge of state.edges) {
    const box = boxOf.get(edge.to);
    if (!box) {
      edges.push(edge);
      continue;
    }
    const key = `${edge.from}>${box}`;
    let sum = merged.get(key);
    if (!sum) {
      const parts = [];
      sum = {
        from: edge.from,
        to: box,
        kinds: edge.kinds,
        parts,
        get rates() {
          const total = {};
          for (const part of parts) for (const [kind, rate] of Object.entries(part.rates)) total[kind] = (total[kind] ?? 0) + (rate ?? 0);
          return total;
        },
      };
      merged.set(key, sum);
      edges.push(sum);
    }
    sum.parts.push(edge);
  }
  return edges;
}

function routeEdges(state, boxes, pools, z) {
  const routes = [];
  const others = [...boxes.entries()];
  for (const edge of mergeIntoBoxes(state, pools)) {
    const from = boxes.get(edge.from) ?? pools.get(edge.from);
    const to = boxes.get(edge.to) ?? pools.get(edge.to);
    if (!from || !to) continue;
    const fromPool = pools.has(edge.from);
    const members = new Set([...(pools.get(edge.from)?.group.members ?? []), ...(pools.get(edge.to)?.group.members ?? [])]);
    const hits = (route) =>
      others.filter(([id, box]) => id !== edge.from && id !== edge.to && !members.has(id) && crosses(route, box)).length;
    let best = curve(from, to, z, fromPool, null);
    let bestHits = hits(best);
    // Through another node? Go down the gap beside the target and come in from its side.
    for (const side of bestHits ? ["left", "right"] : []) {
      const detour = curve(from, to, z, fromPool, side);
      const detourHits = hits(detour);
      if (detourHits < bestHits) [best, bestHits] = [detour, detourHits];
    }
    routes.push({ edge, ...best });
  }
  return routes;
}

function crosses(route, box) {
  const margin = 2;
  for (let u = 0.08; u < 0.93; u += 0.04) {
    const [x, y] = route.at(u);
    if (x > box.x + margin && x < box.x + box.w - margin && y > box.y + margin && y < box.y + box.h - margin) return true;
  }
  return false;
}

function curve(a, b, z, fromPool, side) {
  const acx = a.x + a.w / 2;
  const bcx = b.x + b.w / 2;
  const bcy = b.y + b.h / 2;
  let p0;
  let p1;
  let p2;
  let p3;
  if (bcy > a.y && bcy < a.y + a.h) {
    // Side by side (a pool and its session store or cache; two nodes of one row).
    const right = bcx > acx;
    const sameRow = Math.abs(b.y - a.y) < 2 && !fromPool;
    if (sameRow) {
      // Replication: leave the bottom, dip below the row, come back up into the other's bottom.
      const dip = Math.min(z.band * 0.9, 34 * z.scale);
      p0 = [acx + (right ? 10 : -10), a.y + a.h];
      p3 = [bcx + (right ? -10 : 10), b.y + b.h];
      p1 = [p0[0], p0[1] + dip];
      p2 = [p3[0], p3[1] + dip];
    } else {
      const sy = fromPool ? bcy : a.y + a.h / 2;
      p0 = [right ? a.x + a.w : a.x, sy];
      p3 = [right ? b.x : b.x + b.w, bcy];
      const mid = (p0[0] + p3[0]) / 2;
      p1 = [mid, p0[1]];
      p2 = [mid, p3[1]];
    }
  } else if (side && bcy >= a.y + a.h) {
    // A detour: down the gap beside the target, in through its side.
    const left = side === "left";
    const lane = left ? b.x - Math.max(3, z.gap / 2) : b.x + b.w + Math.max(3, z.gap / 2);
    p0 = [fromPool ? clamp(lane, a.x + 16, a.x + a.w - 16) : acx, a.y + a.h];
    p3 = [left ? b.x : b.x + b.w, bcy];
    p1 = [lane, p0[1] + (b.y - p0[1]) * 0.35];
    p2 = [lane, bcy];
  } else if (bcy >= a.y + a.h) {
    p0 = [fromPool ? clamp(bcx, a.x + 16, a.x + a.w - 16) : acx, a.y + a.h];
    p3 = [bcx, b.y];
    const dy = p3[1] - p0[1];
    p1 = [p0[0], p0[1] + dy * 0.5];
    p2 = [p3[0], p3[1] - dy * 0.5];
  } else {
    p0 = [acx, a.y];
    p3 = [bcx, b.y + b.h];
    const dy = p0[1] - p3[1];
    p1 = [p0[0], p0[1] - dy * 0.5];
    p2 = [p3[0], p3[1] + dy * 0.5];
  }
  const d = `M${f(p0[0])} ${f(p0[1])}C${f(p1[0])} ${f(p1[1])} ${f(p2[0])} ${f(p2[1])} ${f(p3[0])} ${f(p3[1])}`;
  const samples = sample(p0, p1, p2, p3);
  return { d, length: samples.length, at: samples.at, end: p3 };
}

function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}

function f(value) {
  return Math.round(value * 10) / 10;
}

function bezier(p0, p1, p2, p3, t) {
  const u = 1 - t;
  return [
    u * u * u * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t * t * t * p3[0],
    u * u * u * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t * t * t * p3[1],
  ];
}

// Arc-length table: `at(u)` gives the point a fraction u of the way along, by distance.
function sample(p0, p1, p2, p3, steps = 24) {
  const points = [];
  const lengths = [0];
  for (let i = 0; i <= steps; i += 1) points.push(bezier(p0, p1, p2, p3, i / steps));
  for (let i = 1; i <= steps; i += 1) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    lengths.push(lengths[i - 1] + Math.hypot(x1 - x0, y1 - y0));
  }
  const total = lengths[steps] || 1;
  const at = (u) => {
    const target = Math.min(1, Math.max(0, u)) * total;
    let lo = 0;
    let hi = steps;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (lengths[mid] < target) lo = mid;
      else hi = mid;
    }
    const span = lengths[hi] - lengths[lo] || 1;
    const k = (target - lengths[lo]) / span;
    return [points[lo][0] + (points[hi][0] - points[lo][0]) * k, points[lo][1] + (points[hi][1] - points[lo][1]) * k];
  };
  return { length: total, at };
}
