/**
 * Minimum-cost flow by successive shortest paths (Dijkstra on reduced costs with node potentials,
 * a binary heap, each search stopping once the sink is settled).
 * Costs must be non-negative integers; capacities non-negative integers. Pure.
 *
 * Each augmentation sends the bottleneck of one cheapest path, so the cost is at most
 * O(A · E log V) for A augmentations, A at most the flow value and in the planner's graphs close
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
    const heap = new MinHeap();
    heap.push(0, source);
    while (heap.size > 0) {
      const [d, u] = heap.pop();
      if (done[u] || d > dist[u]!) continue;
      done[u] = true;
      if (u === sink) break;
      for (const e of head[u]!) {
        if (residual[e]! <= 0) continue;
        const v = to[e]!;
        const next = d + cost[e]! + potential[u]! - potential[v]!;
        if (next < dist[v]!) {
          dist[v] = next;
          via[v] = e;
          heap.push(next, v);
        }
      }
    }
    const reach = dist[sink]!;
    if (reach === Infinity) break;
    // stopped at the sink: nodes not settled (or not reached) count as being as far as it, which
    // keeps every residual arc's reduced cost non-negative
    for (let v = 0; v < nodes; v++) potential[v]! += Math.min(dist[v]!, reach);
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

/** A binary min-heap of (key, node) pairs, for Dijkstra with lazy deletion. */
class MinHeap {
  private readonly keys: number[] = [];
  private readonly values: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  push(key: number, value: number): void {
    const { keys, values } = this;
    let i = keys.length;
    keys.push(key);
    values.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! <= key) break;
      keys[i] = keys[parent]!;
      values[i] = values[parent]!;
      i = parent;
    }
    keys[i] = key;
    values[i] = value;
  }

  pop(): [number, number] {
    const { keys, values } = this;
    const top: [number, number] = [keys[0]!, values[0]!];
    const lastKey = keys.pop()!;
    const lastValue = values.pop()!;
    const n = keys.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && keys[child + 1]! < keys[child]!) child++;
        if (keys[child]! >= lastKey) break;
        keys[i] = keys[child]!;
        values[i] = values[child]!;
        i = child;
      }
      keys[i] = lastKey;
      values[i] = lastValue;
    }
    return top;
  }
}
