import type { PreSignupRule } from './types';

/**
 * YOUR TEAM'S PRE-SIGNUP RULES. They run, in order, after the built-in rules from config
 * (SIGNUP_ALLOWED_EMAIL_DOMAINS / SIGNUP_BLOCKED_EMAIL_DOMAINS) and before anything is
 * reserved or created. See ./types.ts for what a rule receives and may do. Examples:
 *
 *   import { PreUserRegistrationError, type PreSignupRule } from './types';
 *
 *   const noTestSchools: PreSignupRule = (event) => {
 *     if (/\btest\b/i.test(event.schoolName)) {
 *       throw new PreUserRegistrationError(`test school name: ${event.schoolName}`, {
 *         en: 'Please use your school’s real name.',
 *         es: 'Por favor, usa el nombre real de tu escuela.',
 *       });
 *     }
 *   };
 *
 *   const tagPlan: PreSignupRule = (event, api) => {
 *     api.user.setAppMetadata('plan', 'trial');
 *     api.user.setUserMetadata('preferred_language', event.locale);
 *   };
 *
 *   export const preSignupRules: PreSignupRule[] = [noTestSchools, tagPlan];
 *
 * Metadata keys follow Auth0's rules (no `.` or `$`, not one of Auth0's reserved
 * app_metadata names, never our own `db_name` / `signup_id`); a rule that breaks them fails
 * the signup with 500 invalid_hook_output and nothing is created.
 */
export const preSignupRules: PreSignupRule[] = [];
