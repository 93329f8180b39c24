"""REST API (Django REST framework) under /api/cors_gate/v1/; see urls.py."""
