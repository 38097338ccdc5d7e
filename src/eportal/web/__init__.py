"""The web transport's toolkit: the per-request actor, the form base, form pages, decorators, error mapping.

It knows no domain: feature apps' views import it, and no service, selector or model may.
"""
