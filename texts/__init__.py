"""What pages and messages say that quotes the domain: rating explanations, the periods and counts of
the rules (each read from the constant that enforces it), notification texts. Above the services (it
reads their constants), below the blueprints that render it; i18n below holds the plain formatting
(money, dates, labels) that services use too."""
