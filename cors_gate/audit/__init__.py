"""Audits of CORS and SAML configuration; one Finding type for all of them."""
