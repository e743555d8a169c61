import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { extractEntities, extractFromHtml, type EntityMatch } from '../domain/entity/extract.js';
import { badInput } from '../domain/error.js';

/** How `scot extract` reads its input. */
export interface ExtractCommandOptions {
  /** Each input line is a JSON string; each output line is the result for it. */
  lines?: boolean;
  /** The text is HTML: entities of what it shows, offsets into the HTML. */
  html?: boolean;
}

/** One result line: the entities of one text, as analysts' pipelines and the quality measurements read them. */
function resultOf(text: string, html: boolean): string {
  const matches = html ? extractFromHtml(text) : extractEntities(text);
  const entities = matches.map(({ type, value, start, end, range }: EntityMatch) =>
    range ? { type, value, start, end, range } : { type, value, start, end },
  );
  return `${JSON.stringify({ entities })}\n`;
}

/** Writes `chunk`, waiting while the reader of `output` catches up, so a long pipeline never piles up in memory. */
async function write(output: Writable, chunk: string): Promise<void> {
  if (!output.write(chunk)) await once(output, 'drain');
}

/**
 * `scot extract`: the entities in the text on `input`, as `{"entities":[{"type","value","start","end"}]}` (and
 * `range` for addresses). Bytes that are not UTF-8 are read as U+FFFD, so binary input still gives an answer.
 */
export async function runExtract(options: ExtractCommandOptions, input: Readable, output: Writable): Promise<void> {
  const html = options.html === true;
  if (!options.lines) {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(chunk as Buffer);
    await write(output, resultOf(new TextDecoder().decode(Buffer.concat(chunks)), html));
    return;
  }
  let number = 0;
  for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
    number++;
    let text: unknown;
    try {
      text = JSON.parse(line);
    } catch {
      text = undefined;
    }
    if (typeof text !== 'string')
      throw badInput('line', `line ${number} is not a JSON string; with --lines each line must be one, like "text to search"`);
    await write(output, resultOf(text, html));
  }
}
