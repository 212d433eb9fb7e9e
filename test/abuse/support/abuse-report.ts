/**
 * Counts what each abuse test threw at a boundary and how Wasl answered, and prints one table per file in
 * `afterAll`. A "crash" is a 5xx, a thrown error where an answer was due, or an error the process logged —
 * the column that must stay 0.
 */
export type Outcome = 'rejected' | 'accepted' | 'crash';

export interface BoundaryCounts {
  boundary: string;
  tried: number;
  rejected: number;
  accepted: number;
  crashes: number;
  /** The first few crashes, to say what broke. */
  examples: string[];
}

export class AbuseReport {
  private readonly rows = new Map<string, BoundaryCounts>();

  constructor(readonly title: string) {}

  /** Records one input; returns the outcome so a property can assert on it. */
  count(boundary: string, outcome: Outcome, example?: string): Outcome {
    let row = this.rows.get(boundary);
    if (!row) this.rows.set(boundary, (row = { boundary, tried: 0, rejected: 0, accepted: 0, crashes: 0, examples: [] }));
    row.tried += 1;
    if (outcome === 'rejected') row.rejected += 1;
    else if (outcome === 'accepted') row.accepted += 1;
    else {
      row.crashes += 1;
      if (example !== undefined && row.examples.length < 3) row.examples.push(example.slice(0, 300));
    }
    return outcome;
  }

  /** An HTTP answer as an outcome: 2xx accepted, 4xx rejected, anything else a crash. */
  http(boundary: string, status: number, example?: string): Outcome {
    return this.count(boundary, status >= 200 && status < 300 ? 'accepted' : status >= 400 && status < 500 ? 'rejected' : 'crash', `${status} ${example ?? ''}`);
  }

  crashes(): number {
    return [...this.rows.values()].reduce((n, r) => n + r.crashes, 0);
  }

  table(): string {
    const header = ['boundary', 'inputs tried', 'rejected (4xx / re-ask)', 'accepted', 'crashes'];
    const body = [...this.rows.values()].map((r) => [r.boundary, r.tried, r.rejected, r.accepted, r.crashes].map(String));
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
    const examples = [...this.rows.values()].flatMap((r) => r.examples.map((e) => `  crash at ${r.boundary}: ${JSON.stringify(e)}`));
    return [`${this.title}`, line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), ...examples].join('\n');
  }

  print(): void {
    console.log(this.table());
  }
}
