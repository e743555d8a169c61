import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkEntitytype, extraType, type EntitytypeDefinition } from '../../../src/domain/entity/entitytype.js';
import { extractEntities } from '../../../src/domain/entity/extract.js';
import { AppError } from '../../../src/domain/error.js';

const found = (definition: EntitytypeDefinition, text: string) =>
  extractEntities(text, { extra: [extraType(definition)] })
    .filter((e) => e.type === definition.value)
    .map((e) => [e.value, e.start]);

const refused = (definition: EntitytypeDefinition, field: string) =>
  assert.throws(
    () => checkEntitytype(definition),
    (err: unknown) => err instanceof AppError && err.statusCode === 400 && err.field === field,
  );

describe('admin-defined entity types', () => {
  it('a regular expression finds each match where it is written', () => {
    assert.deepEqual(found({ value: 'hostname', match: 'ws-\\d{4}', kind: 'regex' }, 'ws-1234 then ws-99 then ws-0001'), [
      ['ws-1234', 0],
      ['ws-0001', 24],
    ]);
  });

  it('a literal is found as written, regular-expression characters included', () => {
    assert.deepEqual(found({ value: 'project', match: 'op.x(1)', kind: 'literal' }, 'op.x(1) not opax(1), op.x(1)'), [
      ['op.x(1)', 0],
      ['op.x(1)', 21],
    ]);
  });

  it('a pattern that backtracks catastrophically elsewhere runs in linear time under RE2', () => {
    const definition: EntitytypeDefinition = { value: 'evil', match: '(a+)+$', kind: 'regex' };
    checkEntitytype(definition);
    // A backtracking engine would not return from this in the test's lifetime.
    assert.deepEqual(found(definition, `${'a'.repeat(50_000)}!`), []);
  });

  it('refuses malformed definitions with 400, naming the field', () => {
    refused({ value: 'broken', match: '(a', kind: 'regex' }, 'match');
    refused({ value: 'backref', match: '(a)\\1', kind: 'regex' }, 'match');
    refused({ value: 'lookahead', match: 'a(?=b)', kind: 'regex' }, 'match');
    refused({ value: 'empty', match: 'a*', kind: 'regex' }, 'match');
    refused({ value: 'blank', match: '', kind: 'literal' }, 'match');
    refused({ value: 'domain', match: 'x', kind: 'literal' }, 'value');
    refused({ value: '9lives', match: 'x', kind: 'literal' }, 'value');
  });
});
