"""Patients of an organisation, their stored assessments and plans, and their export and
erasure. Nothing here is used by another domain; the entry points wire its routers and tables.
"""
