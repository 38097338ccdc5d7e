"""Values every layer shares and no domain owns: who is acting, the user-facing error, rate limits."""
