/**
 * The wire type of a field in wireschema.ts's tables (a file of its own, so that the tables split
 * over several files import it without an import cycle).
 */

/** A field's wire type. `object` is any JSON map; `any` is not checked. */
export type WireType =
  | 'string'
  | 'boolean'
  | 'int32'
  | 'int64'
  | 'intOrString'
  | 'quantity'
  | 'time'
  | 'object'
  | 'any'
  | { readonly list: WireType }
  | { readonly map: WireType }
  | { readonly fields: Readonly<Record<string, WireType>> };
