"""Pure rules of intake: report bodies, catalogue and region checks, case numbers, repeats, masking, Open311."""
