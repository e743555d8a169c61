/** JSON schemas of the entity, allow-list and entity-type request bodies, with the types they admit. */

const strict = (properties: Record<string, unknown>, required: string[] = []) =>
  ({ type: 'object', additionalProperties: false, required, properties }) as const;

/** `PUT /entity/:id`: an entity is tracked or not. */
export const ENTITY_PATCH = strict({ status: { type: 'string', enum: ['tracked', 'untracked'] } }, ['status']);
export interface EntityPatch {
  status: 'tracked' | 'untracked';
}

/** `POST /entity/allow`: a value, CIDR block or domain never to flair. */
export const ENTITY_ALLOW_INPUT = strict({ value: { type: 'string', minLength: 1, maxLength: 300 } }, ['value']);
export interface EntityAllowInput {
  value: string;
}

const match = { type: 'string', minLength: 1, maxLength: 1000 };
const kind = { type: 'string', enum: ['literal', 'regex'] };
const status = { type: 'string', enum: ['enabled', 'disabled'] };

/** `POST /entitytype`: a name and what it matches, a regular expression unless `kind` says literal. */
export const ENTITYTYPE_INPUT = strict({ value: { type: 'string', minLength: 1, maxLength: 40 }, match, kind, status }, [
  'value',
  'match',
]);
export interface EntitytypeInput {
  value: string;
  match: string;
  kind?: 'literal' | 'regex';
  status?: 'enabled' | 'disabled';
}

/** `PUT /entitytype/:id`: a new match, kind, or status (disabled stops flairing it). */
export const ENTITYTYPE_PATCH = { ...strict({ match, kind, status }), minProperties: 1 } as const;
export type EntitytypePatch = Partial<Omit<EntitytypeInput, 'value'>>;
