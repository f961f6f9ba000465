// Overlapping regions drawn in lanes: each region goes to the lowest lane free at its start, so
// regions that overlap never share a lane and the number of lanes is the deepest overlap (the
// greedy interval-partitioning order, by start then by end, is optimal).

export interface Span {
  start: number;
  end: number;
}

/** The lane of each region, in the input's order, and how many lanes there are. */
export function assignLanes(spans: readonly Span[]): { lanes: number[]; count: number } {
  const order = spans
    .map((_, i) => i)
    .sort((a, b) => spans[a].start - spans[b].start || spans[a].end - spans[b].end || a - b);
  const laneEnds: number[] = [];
  const lanes = new Array<number>(spans.length);
  for (const i of order) {
    const { start, end } = spans[i];
    // Touching is not overlapping: a region may start where the previous one ends.
    let lane = laneEnds.findIndex((e) => e <= start);
    if (lane < 0) lane = laneEnds.push(end) - 1;
    else laneEnds[lane] = end;
    lanes[i] = lane;
  }
  return { lanes, count: laneEnds.length };
}
