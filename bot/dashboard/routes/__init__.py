"""The dashboard's routes, one module per resource: auth, queue, cases, case actions,
attachments, admin."""
