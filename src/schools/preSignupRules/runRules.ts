import { localize, type Locale, type LocalizedText } from '../../i18n/locale';
import type { Logger } from '../../logger';
import { InvalidRuleOutputError, SignupDeniedError } from '../../errors';
import { keyProblem, sizeProblem, valueProblem, type MetadataKind } from './metadata';
import {
  PreUserRegistrationError,
  type JsonValue,
  type PreSignupApi,
  type PreSignupEvent,
  type PreSignupRule,
} from './types';

/** Runs the pre-signup rules in order; see ./types.ts and ./rules.ts. */

export interface RulesOutcome {
  userMetadata: Record<string, JsonValue>;
  appMetadata: Record<string, JsonValue>;
}

export interface PreSignupRules {
  /** Resolves to the metadata to add, or throws SignupDeniedError / InvalidRuleOutputError. */
  run(input: {
    email: string;
    schoolName: string;
    dbName: string;
    locale: Locale;
  }): Promise<RulesOutcome>;
}

const DEFAULT_DENIAL: LocalizedText = {
  en: 'This signup is not allowed.',
  es: 'Este registro no está permitido.',
};

export function createPreSignupRules(
  rules: readonly PreSignupRule[],
  logger: Logger | undefined,
): PreSignupRules {
  return {
    async run({ email, schoolName, dbName, locale }) {
      const event: PreSignupEvent = Object.freeze({
        email,
        emailDomain: email.slice(email.lastIndexOf('@') + 1),
        schoolName,
        dbName,
        locale,
      });
      // Null prototypes: a key such as "__proto__" stays plain data.
      const outcome: RulesOutcome = {
        userMetadata: Object.create(null) as Record<string, JsonValue>,
        appMetadata: Object.create(null) as Record<string, JsonValue>,
      };
      const set =
        (kind: MetadataKind, target: Record<string, JsonValue>) =>
        (key: string, value: JsonValue): void => {
          const problem = keyProblem(kind, key) ?? valueProblem(kind, key, value);
          if (problem) throw new InvalidRuleOutputError(problem);
          target[key] = structuredClone(value);
        };
      const api: PreSignupApi = {
        access: {
          deny(logMessage, userMessage) {
            throw new PreUserRegistrationError(logMessage, userMessage);
          },
        },
        user: {
          setUserMetadata: set('user_metadata', outcome.userMetadata),
          setAppMetadata: set('app_metadata', outcome.appMetadata),
        },
      };

      for (const [index, rule] of rules.entries()) {
        try {
          await rule(event, api);
        } catch (error) {
          if (error instanceof PreUserRegistrationError) {
            const message = localize(error.userMessage ?? DEFAULT_DENIAL, locale);
            logger?.info(
              { rule: rule.name || index, reason: error.logMessage },
              'signup denied by pre-signup rule',
            );
            throw new SignupDeniedError(
              message || localize(DEFAULT_DENIAL, locale),
              error.logMessage,
            );
          }
          const problem =
            error instanceof InvalidRuleOutputError
              ? error.problem
              : `rule threw: ${error instanceof Error ? error.message : String(error)}`;
          logger?.error(
            { rule: rule.name || index, problem, err: error },
            'pre-signup rule output rejected',
          );
          throw error instanceof InvalidRuleOutputError
            ? error
            : new InvalidRuleOutputError(problem);
        }
      }
      for (const [kind, metadata] of [
        ['user_metadata', outcome.userMetadata],
        ['app_metadata', outcome.appMetadata],
      ] as const) {
        const problem = sizeProblem(kind, metadata);
        if (problem) {
          logger?.error({ problem }, 'pre-signup rule output rejected');
          throw new InvalidRuleOutputError(problem);
        }
      }
      return { userMetadata: { ...outcome.userMetadata }, appMetadata: { ...outcome.appMetadata } };
    },
  };
}
