import type { Config } from '../../config';
import { PreUserRegistrationError, type PreSignupRule } from './types';

/** Rules that come from configuration rather than code. */

export const DOMAIN_NOT_ALLOWED = {
  en: 'Signups with this email domain are not allowed. Please use your school email address.',
  es: 'No se permiten registros con este dominio de correo. Usa la dirección de correo de tu escuela.',
} as const;

/** `sub.example.org` matches a listed `example.org`. */
const matches = (domain: string, listed: string) =>
  domain === listed || domain.endsWith(`.${listed}`);

export function builtinRules(policy: Config['signup']['rules']): PreSignupRule[] {
  const rules: PreSignupRule[] = [];
  if (policy.blockedEmailDomains.length > 0) {
    rules.push((event) => {
      const hit = policy.blockedEmailDomains.find((d) => matches(event.emailDomain, d));
      if (hit) {
        throw new PreUserRegistrationError(
          `email domain ${event.emailDomain} is blocked (SIGNUP_BLOCKED_EMAIL_DOMAINS: ${hit})`,
          DOMAIN_NOT_ALLOWED,
        );
      }
    });
  }
  if (policy.allowedEmailDomains.length > 0) {
    rules.push((event) => {
      if (!policy.allowedEmailDomains.some((d) => matches(event.emailDomain, d))) {
        throw new PreUserRegistrationError(
          `email domain ${event.emailDomain} is not in SIGNUP_ALLOWED_EMAIL_DOMAINS`,
          DOMAIN_NOT_ALLOWED,
        );
      }
    });
  }
  return rules;
}
