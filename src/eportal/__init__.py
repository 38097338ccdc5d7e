"""eportal: a self-hostable patient e-portal for Norwegian GP clinics."""
