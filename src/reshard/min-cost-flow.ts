/**
 * Minimum-cost flow by successive shortest paths (Dijkstra on reduced costs with node potentials,
 * the dense O(V²) form, which suits the small, nearly complete graphs the fleet planner builds).
 * Costs must be non-negative integers; capacities non-negative integers. Pure.
 *
 * Each augmentation sends the bottleneck of one cheapest path, so the cost is
 * O(A · (V² + E)) for A augmentations, A at most the flow value and in the planner's graphs close
 * to the number of (class, cluster) pairs that carry flow.
 */

/** An arc of the network; `flow` is filled in by `minCostFlow`. */
export interface FlowArc {
  readonly from: number;
  readonly to: number;
  readonly capacity: number;
  readonly cost: number;
  flow: number;
}

/** The outcome: how much was sent and at what total cost. */
export interface FlowResult {
  readonly flow: number;
  readonly cost: number;
}

/**
 * Sends as much flow as possible from `source` to `sink` over `arcs` (nodes `0..nodes-1`) at the
 * least total cost; writes each arc's `flow`. Ties are broken by arc order, so the result is a
 * function of the input.
 */
export const minCostFlow = (nodes: number, arcs: FlowArc[], source: number, sink: number): FlowResult => {
  // residual graph: arc i is edge 2i, its reverse 2i+1
  const head: number[][] = Array.from({ length: nodes }, () => []);
  const to: number[] = [];
  const residual: number[] = [];
  const cost: number[] = [];
  arcs.forEach((arc, i) => {
    arc.flow = 0;
    to.push(arc.to, arc.from);
    residual.push(arc.capacity, 0);
    cost.push(arc.cost, -arc.cost);
    head[arc.from]!.push(2 * i);
    head[arc.to]!.push(2 * i + 1);
  });
  const potential = new Array<number>(nodes).fill(0);
  let totalFlow = 0;
  let totalCost = 0;
  for (;;) {
    const dist = new Array<number>(nodes).fill(Infinity);
    const via = new Array<number>(nodes).fill(-1);
    const done = new Array<boolean>(nodes).fill(false);
    dist[source] = 0;
    for (;;) {
      let u = -1;
      for (let v = 0; v < nodes; v++) if (!done[v] && dist[v]! < Infinity && (u === -1 || dist[v]! < dist[u]!)) u = v;
      if (u === -1) break;
      done[u] = true;
      for (const e of head[u]!) {
        if (residual[e]! <= 0) continue;
        const v = to[e]!;
        const next = dist[u]! + cost[e]! + potential[u]! - potential[v]!;
        if (next < dist[v]!) {
          dist[v] = next;
          via[v] = e;
        }
      }
    }
    if (dist[sink] === Infinity) break;
    for (let v = 0; v < nodes; v++) if (dist[v]! < Infinity) potential[v]! += dist[v]!;
    let push = Infinity;
    for (let v = sink; v !== source; v = to[via[v]! ^ 1]!) push = Math.min(push, residual[via[v]!]!);
    for (let v = sink; v !== source; v = to[via[v]! ^ 1]!) {
      const e = via[v]!;
      residual[e]! -= push;
      residual[e ^ 1]! += push;
      totalCost += push * cost[e]!;
    }
    totalFlow += push;
  }
  arcs.forEach((arc, i) => (arc.flow = residual[2 * i + 1]!));
  return { flow: totalFlow, cost: totalCost };
};
