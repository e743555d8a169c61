import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { promotedAlertsHtml } from '../../src/domain/alert.js';
import { sanitizeEntryHtml } from '../../src/domain/sanitize.js';

describe('the entry of promoted alerts', () => {
  const group = { id: 7, subject: 'Bad <stuff> & more', columns: ['host', 'count'] };

  it('tables the rows under the alertgroup columns, one row per alert', () => {
    const html = promotedAlertsHtml(group, [
      { id: 3, data: { host: 'a.example', count: 2 } },
      { id: 4, data: { host: 'b.example' } },
    ]);
    assert.equal(
      html,
      '<p>Promoted from alertgroup 7: Bad &lt;stuff&gt; &amp; more</p><table><thead><tr><th>alert</th><th>host</th><th>count</th></tr></thead>' +
        '<tbody><tr><td>3</td><td>a.example</td><td>2</td></tr><tr><td>4</td><td>b.example</td><td></td></tr></tbody></table>',
    );
  });

  it('shows markup in alert data as text, which the entry sanitizer keeps as it is', () => {
    const html = promotedAlertsHtml({ ...group, columns: ['x'] }, [{ id: 1, data: { x: '<script>alert(1)</script>' } }]);
    assert.ok(html.includes('<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>'));
    assert.equal(sanitizeEntryHtml(html), html);
  });
});
