//! `mercato` command line: serve (default) | migrate | seed-demo | print-schema |
//! create-admin | create-api-token.
use anyhow::{Context, anyhow};
use api::auth::Scope;
use api::config::{Config, Env};
use api::domain::{api_tokens, companies, demo, users};
use api::error::AppError;
use api::{Application, db};
use clap::{Parser, Subcommand};
use entity::Role;
use migration::{Migrator, MigratorTrait};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "mercato",
    version,
    about = "Mercato: GraphQL backend for B2B headless commerce"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run migrations, seed demo data on an empty dev database, and serve HTTP (default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Load the demo companies, users, customers, items and stock (idempotent).
    SeedDemo,
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    PrintSchema,
    /// Create a company if missing and an ADMIN user in it.
    CreateAdmin {
        #[arg(long)]
        company: String,
        #[arg(long)]
        company_name: Option<String>,
        #[arg(long, default_value = "EUR")]
        currency: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
    /// Create a partner API token; prints the secret once.
    CreateApiToken {
        #[arg(long)]
        company: String,
        #[arg(long)]
        name: String,
        /// Comma-separated, e.g. catalog:read,orders:read
        #[arg(long)]
        scopes: String,
        /// Bind the token to this customer id.
        #[arg(long)]
        customer_id: Option<i64>,
        /// Lifetime in days (none: no expiry).
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// Render a document to a file, as an admin of the company would fetch it.
    Render {
        /// invoice, credit-note, proforma, order-confirmation, delivery-note, return-note,
        /// purchase-order
        #[arg(long)]
        kind: String,
        #[arg(long)]
        id: i64,
        /// html or pdf
        #[arg(long, default_value = "pdf")]
        format: String,
        /// The company's code (the demo's IBX when omitted).
        #[arg(long, default_value = "IBX")]
        company: String,
        /// The document's language (its own when omitted).
        #[arg(long)]
        language: Option<String>,
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

/// Errors end the process with a one-line message (no backtrace) and exit code 1.
fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match actix_web::rt::System::new().block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mercato: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(Command::PrintSchema) = cli.command {
        print!("{}", api::graphql::sdl());
        return Ok(());
    }
    let config = Config::from_env().map_err(|e| anyhow!("{e}"))?;
    init_logging(config.env);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let (db, _) = db::connect(&config.database_url).await?;
            Migrator::up(&db, None).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::SeedDemo => {
            let (db, _) = db::connect(&config.database_url).await?;
            Migrator::up(&db, None).await?;
            let seeded = demo::seed(&db).await.map_err(AppError::into_anyhow)?;
            println!(
                "{}",
                if seeded {
                    "demo data loaded"
                } else {
                    "demo data already present"
                }
            );
            Ok(())
        }
        Command::PrintSchema => unreachable!("handled above"),
        Command::CreateAdmin {
            company,
            company_name,
            currency,
            email,
            password,
            name,
        } => {
            let (db, _) = db::connect(&config.database_url).await?;
            Migrator::up(&db, None).await?;
            let company_row = match companies::by_code(&db, &company)
                .await
                .map_err(AppError::into_anyhow)?
            {
                Some(c) => c,
                None => companies::insert(
                    &db,
                    companies::NewCompany {
                        code: company.clone(),
                        name: company_name.unwrap_or_else(|| company.clone()),
                        currency,
                    },
                )
                .await
                .map_err(AppError::into_anyhow)?,
            };
            let user = users::insert(
                &db,
                users::NewUser {
                    company_id: company_row.id,
                    email,
                    name,
                    password,
                    role: Role::Admin,
                    sales_rep_id: None,
                    customer_id: None,
                },
            )
            .await
            .map_err(AppError::into_anyhow)?;
            println!(
                "admin {} created in company {}",
                user.email, company_row.code
            );
            Ok(())
        }
        Command::Render {
            kind,
            id,
            format,
            company,
            language,
            out,
        } => {
            render(
                &config,
                &kind,
                id,
                &format,
                &company,
                language.as_deref(),
                &out,
            )
            .await
        }
        Command::CreateApiToken {
            company,
            name,
            scopes,
            customer_id,
            expires_in_days,
        } => {
            let (db, _) = db::connect(&config.database_url).await?;
            Migrator::up(&db, None).await?;
            let company_row = companies::by_code(&db, &company)
                .await
                .map_err(AppError::into_anyhow)?
                .with_context(|| format!("no company {company}"))?;
            let scopes = scopes
                .split(',')
                .map(|s| {
                    s.trim()
                        .parse::<Scope>()
                        .map_err(|_| anyhow!("unknown scope {s:?}"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let (row, token) = api_tokens::create_for_company(
                &db,
                company_row.id,
                None,
                api_tokens::NewApiToken {
                    name,
                    scopes,
                    customer_id,
                    expires_at: expires_in_days
                        .map(|d| chrono::Utc::now() + chrono::Duration::days(d)),
                },
            )
            .await
            .map_err(AppError::into_anyhow)?;
            println!(
                "API token {} created; the secret is shown only now:\n{token}",
                row.id
            );
            Ok(())
        }
    }
}

/// `mercato render`: the same bytes `GET /documents/…` answers (a posted invoice's kept file).
async fn render(
    config: &Config,
    kind: &str,
    id: i64,
    format: &str,
    company: &str,
    language: Option<&str>,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    use api::render::{DocumentFormat, DocumentKind};
    let kind = DocumentKind::from_slug(kind).with_context(|| format!("unknown kind {kind:?}"))?;
    let format = DocumentFormat::from_extension(format)
        .with_context(|| format!("unknown format {format:?}"))?;
    let (db, _) = db::connect(&config.database_url).await?;
    Migrator::up(&db, None).await?;
    let company_row = companies::by_code(&db, company)
        .await
        .map_err(AppError::into_anyhow)?
        .with_context(|| format!("no company {company}"))?;
    let p = api::auth::Principal::operator(company_row.id);
    let (doc, rendered) = api::domain::printing::rendered(&db, &p, kind, id, format, language)
        .await
        .map_err(AppError::into_anyhow)?;
    std::fs::write(out, &rendered.bytes).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "{} {} ({}, {} bytes) written to {}",
        kind.slug(),
        doc.number,
        rendered.language,
        rendered.bytes.len(),
        out.display()
    );
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    if config.jwt_secret_generated {
        tracing::warn!(
            "MERCATO_JWT_SECRET is not set: using a random secret (dev only; tokens die with the process)"
        );
    }
    let app = Application::build(config.clone()).await?;
    let url = format!("http://{}:{}", config.listen.ip(), app.port());
    tracing::info!(%url, database = %redact(&config.database_url), redis = config.redis_url.is_some(), "Mercato listening");
    if config.env == Env::Dev {
        println!("\nMercato is up: GraphiQL at {url}/graphql");
        if app.seeded_demo {
            println!(
                "Demo data loaded. Log in with any of these (password \"{}\"):",
                demo::PASSWORD
            );
        } else {
            println!(
                "Demo users (password \"{}\") if the demo data is loaded:",
                demo::PASSWORD
            );
        }
        for (email, role) in demo::USERS {
            println!("  {email:<28} {role}");
        }
        println!(
            "\ncurl -s {url}/graphql -H 'Content-Type: application/json' \\\n  -d '{{\"query\":\"mutation {{ login(input: {{email: \\\"admin@iberia.example\\\", password: \\\"{}\\\"}}) {{ token }} }}\"}}'\n",
            demo::PASSWORD
        );
    }
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

fn init_logging(env: Env) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    // Each request closes a span (tracing-actix-web) carrying its request id and latency.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE);
    if env == Env::Prod || std::env::var("MERCATO_LOG_FORMAT").is_ok_and(|v| v == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Hides the password of a database URL in logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => match url[scheme + 3..at].split_once(':') {
            Some((user, _)) => format!("{}://{user}:***{}", &url[..scheme], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}
