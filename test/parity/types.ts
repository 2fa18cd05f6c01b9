// The shape every parity check (pcapdx against the tshark reference) reports in.

export interface ParityRow {
  name: string;
  /** frames tshark flags / decodes with this value */
  tshark: number;
  /** frames pcapdx flags / decodes with this value */
  pcapdx: number;
  /** frames on which both agree */
  both: number;
  /** both / (frames either side flags); 1 when neither flags anything */
  agreement: number;
}

export interface ParityReport {
  title: string;
  rows: ParityRow[];
  /** differences and their explanations, file:frame first */
  notes: string[];
  ok: boolean;
}
