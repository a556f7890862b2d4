// class-transformer keeps what @Type() records in a storage its index does not export (class-transformer#563);
// class-validator-jsonschema reads nested DTO types from it (its classTransformerMetadataStorage option). The
// CommonJS file that holds it has no typings of its own: these are the ones class-transformer ships for it.
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
