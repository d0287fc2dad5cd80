import { z } from 'zod';

/**
 * What a successful signup answers (201). The route types its body with it and the OpenAPI
 * document is generated from it.
 */
export const SignupResponseSchema = z.object({
  userId: z.string().meta({ description: 'The Auth0 user id.', examples: ['auth0|5f1c…'] }),
  email: z.string().meta({ description: 'The account email, trimmed and lower-cased.' }),
  school: z.object({
    name: z.string().meta({ description: 'The school name, whitespace collapsed.' }),
    dbName: z
      .string()
      .regex(/^[a-z0-9_]{1,63}$/)
      .meta({ description: "The school's own PostgreSQL database." }),
  }),
});

export type SignupResponse = z.infer<typeof SignupResponseSchema>;
