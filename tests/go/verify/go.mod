module selfsign.invalid/verify

go 1.19
