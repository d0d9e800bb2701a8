"""Clinician pages. Thin: parse the request, call a selector or a service, render or redirect.

Every patient lookup goes through apps.patients.selectors; objects reached by id (flag, task,
assessment, appointment, medication, episode, conference, notification) are scoped through their
patient or team, so another team's object is a 404.
"""
