import { getMetadataStorage, ValidationArguments } from 'class-validator';

type Check = (object: Record<string, unknown>) => boolean;
type Constructor = new (...args: never[]) => object;

const isPresent = (v: unknown) => v !== undefined && v !== null;
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Compiles a DTO's class-validator rules into one boolean check, calling the same constraint validators
 * class-validator would, without building error objects. The webhook runs it first and asks class-validator
 * itself only for bodies it rejects (to word the 400), so the DTO stays the only statement of the rules;
 * this took validation from most of the webhook's overhead to almost none.
 * Rules it does not know (groups, `each`, async validators, …) fail at startup, never silently.
 */
export function compileDtoCheck(dto: Constructor): Check {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(dto, '', true, false);
  const byProperty = new Map<string, typeof metadatas>();
  for (const m of metadatas) byProperty.set(m.propertyName, [...(byProperty.get(m.propertyName) ?? []), m]);

  const properties = [...byProperty].map(([property, rules]): Check => {
    const optional = rules.some((r) => r.type === 'conditionalValidation' && r.name === 'isOptional');
    const checks: Array<(value: unknown, object: Record<string, unknown>) => boolean> = [];
    for (const rule of rules) {
      if (rule.each || rule.always || (rule.groups && rule.groups.length > 0)) {
        throw new Error(`${dto.name}.${property}: rule "${rule.name ?? rule.type}" is not supported by the fast check`);
      }
      if (rule.type === 'conditionalValidation') {
        if (rule.name !== 'isOptional') throw new Error(`${dto.name}.${property}: only @IsOptional() conditions are supported`);
      } else if (rule.type === 'isDefined') {
        checks.push(isPresent);
      } else if (rule.type === 'nestedValidation') {
        const nested = Reflect.getMetadata('design:type', dto.prototype, property) as Constructor | undefined;
        if (!nested || nested === Object) throw new Error(`${dto.name}.${property}: nested DTO type unknown`);
        const nestedCheck = compileDtoCheck(nested);
        checks.push((value) => isPlainObject(value) && nestedCheck(value));
      } else if (rule.type === 'customValidation') {
        const [constraint] = storage.getTargetValidatorConstraints(rule.constraintCls);
        if (!constraint || constraint.async) throw new Error(`${dto.name}.${property}: async or unknown validator`);
        const validator = constraint.instance;
        checks.push((value, object) => {
          const args: ValidationArguments = { value, constraints: rule.constraints, targetName: dto.name, object, property };
          return validator.validate(value, args) === true;
        });
      } else {
        throw new Error(`${dto.name}.${property}: rule type "${rule.type}" is not supported by the fast check`);
      }
    }
    return (object) => {
      const value = object[property];
      if (optional && !isPresent(value)) return true;
      return checks.every((check) => check(value, object));
    };
  });
  return (object) => properties.every((check) => check(object));
}
