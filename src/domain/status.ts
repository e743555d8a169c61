/** Status vocabulary and the rules that derive one status from others. */
export const ALERT_STATUSES = ['open', 'closed', 'promoted'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** Statuses an analyst may set by hand; `promoted` only comes from promoting. */
export const SETTABLE_STATUSES = ['open', 'closed'] as const;
export type SettableStatus = (typeof SETTABLE_STATUSES)[number];

export interface AlertCounts {
  open: number;
  closed: number;
  promoted: number;
}

/** An alertgroup is open while any alert is open, promoted if any was promoted and none is open, else closed. */
export function alertgroupStatus(counts: AlertCounts): AlertStatus {
  if (counts.open > 0) return 'open';
  if (counts.promoted > 0) return 'promoted';
  return 'closed';
}

export const ENTRY_CLASSES = ['entry', 'summary', 'task'] as const;
export type EntryClass = (typeof ENTRY_CLASSES)[number];
