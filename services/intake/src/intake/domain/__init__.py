"""Pure rules of intake: report bodies, catalogue and region checks, case numbers, repeats, masking, visits, the
status projection, Open311, and the refusals of its commands."""
