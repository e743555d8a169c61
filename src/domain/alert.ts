import { escapeText } from 'entities';

/** An alert's row as stored: its id and its values by column. */
export interface AlertRow {
  id: number;
  data: Record<string, unknown>;
}

const cell = (value: unknown) =>
  escapeText(value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));

/**
 * The HTML of the entry a promotion writes on its event, as SCOT 3 did: the promoted alerts' rows
 * as a table under their alertgroup's columns, so the event shows what it came from.
 */
export function promotedAlertsHtml(
  alertgroup: { id: number; subject: string; columns: readonly string[] },
  alerts: readonly AlertRow[],
): string {
  const head = ['alert', ...alertgroup.columns].map((c) => `<th>${cell(c)}</th>`).join('');
  const rows = alerts
    .map((a) => `<tr><td>${a.id}</td>${alertgroup.columns.map((c) => `<td>${cell(a.data[c])}</td>`).join('')}</tr>`)
    .join('');
  const from = `<p>Promoted from alertgroup ${alertgroup.id}: ${cell(alertgroup.subject)}</p>`;
  return `${from}<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}
