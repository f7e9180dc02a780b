DROP TABLE signin_providers;
