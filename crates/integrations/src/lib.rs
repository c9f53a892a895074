//! crm-integrations: outbound delivery (outbox dispatcher, webhooks, email, SMS). Filled by the integration issue.
