import RE2 from 're2';
import { badInput } from '../error.js';
import type { ExtraEntityType } from './extract.js';
import { ENTITY_TYPES } from './type.js';

/** How an admin-defined entity type finds its values: a literal string, or a regular expression. */
export type EntitytypeKind = 'literal' | 'regex';

/** The definition of an admin-defined entity type. */
export interface EntitytypeDefinition {
  value: string;
  match: string;
  kind: EntitytypeKind;
}

/** Names an admin may give: short, lower case, usable as a CSS class in flair. */
const NAME = /^[a-z][a-z0-9_-]{0,39}$/;

/** Longest pattern accepted: long enough for any indicator format, short enough to read. */
const MAX_MATCH_LENGTH = 1000;

/**
 * The regular expression of a type, compiled by RE2: it runs in time linear in the text whatever the
 * pattern, so no pattern an admin writes can stall flair by catastrophic backtracking.
 */
function compile(match: string): RE2 {
  try {
    return new RE2(match, 'gu');
  } catch (err) {
    throw badInput(
      'match',
      `"${match}" is not a regular expression RE2 accepts (no backreferences or lookaround): ${(err as Error).message}`,
    );
  }
}

/** Refuses a definition that is malformed, or that would find empty values or shadow a built-in type. */
export function checkEntitytype(definition: EntitytypeDefinition): void {
  if (!NAME.test(definition.value)) {
    throw badInput(
      'value',
      `entity type "${definition.value}" must be 1 to 40 lower-case letters, digits, "_" or "-", starting with a letter`,
    );
  }
  if ((ENTITY_TYPES as readonly string[]).includes(definition.value)) {
    throw badInput('value', `"${definition.value}" is a built-in entity type; choose another name`);
  }
  if (definition.match.length === 0 || definition.match.length > MAX_MATCH_LENGTH) {
    throw badInput('match', `match must be 1 to ${MAX_MATCH_LENGTH} characters`);
  }
  if (definition.kind === 'regex' && compile(definition.match).test('')) {
    throw badInput('match', `"${definition.match}" matches the empty text; it would flair nothing useful`);
  }
}

/** The extractor's view of an admin-defined type: every non-overlapping match in a text. */
export function extraType(definition: EntitytypeDefinition): ExtraEntityType {
  if (definition.kind === 'literal') {
    const needle = definition.match;
    return {
      type: definition.value,
      *find(text) {
        for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) {
          yield { start: at, end: at + needle.length, value: needle };
        }
      },
    };
  }
  const pattern = compile(definition.match);
  return {
    type: definition.value,
    *find(text) {
      pattern.lastIndex = 0;
      for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
        if (m[0].length === 0) {
          pattern.lastIndex++;
          continue;
        }
        yield { start: m.index, end: m.index + m[0].length, value: m[0] };
      }
    },
  };
}
