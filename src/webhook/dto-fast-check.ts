import { getMetadataStorage, ValidationArguments } from 'class-validator';

type Check = (object: Record<string, unknown>) => boolean;
type ValueCheck = (value: unknown, object: Record<string, unknown>) => boolean;
interface PropertyCheck {
  property: string;
  optional: boolean;
  checks: ValueCheck[];
}
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

  const properties = [...byProperty].map(([property, rules]): PropertyCheck => {
    const optional = rules.some((r) => r.type === 'conditionalValidation' && r.name === 'isOptional');
    const checks: ValueCheck[] = [];
    for (const rule of rules) {
      if (rule.each || rule.always || (rule.groups && rule.groups.length > 0)) {
        throw new Error(`${dto.name}.${property}: rule "${rule.name ?? rule.type}" is not supported by the fast check`);
      }
      if (rule.type === 'conditionalValidation') {
        if (rule.name !== 'isOptional') throw new Error(`${dto.name}.${property}: only @IsOptional() conditions are supported`);
      } else if (rule.type === 'isDefined') {
        checks.push(isPresent);
      } else if (rule.type === 'nestedValidation') {
        const nested = Reflect.getMetadata('design:type', dto.prototype as object, property) as Constructor | undefined;
        if (!nested || nested === Object) throw new Error(`${dto.name}.${property}: nested DTO type unknown`);
        const nestedCheck = compileDtoCheck(nested);
        checks.push((value) => isPlainObject(value) && nestedCheck(value));
      } else if (rule.type === 'customValidation') {
        const [constraint] = storage.getTargetValidatorConstraints(rule.constraintCls);
        if (!constraint || constraint.async) throw new Error(`${dto.name}.${property}: async or unknown validator`);
        const validator = constraint.instance;
        // One arguments object per rule, refilled on each call: validators run synchronously, so none is shared.
        const args: ValidationArguments = { value: undefined, constraints: rule.constraints, targetName: dto.name, object: {}, property };
        checks.push((value, object) => {
          args.value = value;
          args.object = object;
          return validator.validate(value, args) === true;
        });
      } else {
        throw new Error(`${dto.name}.${property}: rule type "${rule.type}" is not supported by the fast check`);
      }
    }
    return { property, optional, checks };
  });

  // Plain loops: this runs on every callback, and closures per call showed up in the webhook's profile.
  return (object) => {
    for (const { property, optional, checks } of properties) {
      const value = object[property];
      if (optional && !isPresent(value)) continue;
      for (const check of checks) if (!check(value, object)) return false;
    }
    return true;
  };
}
