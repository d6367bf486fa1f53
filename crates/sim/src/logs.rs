//! Realistic log lines for each kind of workload: access lines with status
//! and latency, worker job lines, and errors with stack traces.

use super::catalog::Workload;
use rand::Rng;

const API_PATHS: [&str; 8] = [
    "/api/v1/items",
    "/api/v1/items/{id}",
    "/api/v1/users/me",
    "/api/v1/search?q=live",
    "/api/v1/feed",
    "/api/v1/sessions",
    "/health",
    "/api/v1/uploads/{id}",
];

fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn path(rng: &mut impl Rng) -> String {
    pick(rng, &API_PATHS).replace("{id}", &rng.random_range(1..99_999).to_string())
}

const METHODS: [&str; 7] = ["GET", "GET", "GET", "GET", "POST", "PUT", "DELETE"];

fn method(rng: &mut impl Rng) -> &'static str {
    METHODS[rng.random_range(0..METHODS.len())]
}

fn client_ip(rng: &mut impl Rng) -> String {
    format!(
        "10.0.{}.{}",
        rng.random_range(0..32),
        rng.random_range(2..250)
    )
}

fn status(rng: &mut impl Rng, error: bool) -> u16 {
    if error {
        *pick(rng, &[500, 502, 503, 504])
    } else {
        *pick(
            rng,
            &[200, 200, 200, 200, 200, 201, 204, 304, 400, 401, 404],
        )
    }
}

/// One log event's message for a service; `error` asks for a failure line,
/// which may span several lines (a stack trace).
pub fn line(
    rng: &mut impl Rng,
    workload: Workload,
    container: &str,
    latency_secs: f64,
    error: bool,
) -> String {
    let ms = (latency_secs * 1000.0 * (0.4 + rng.random::<f64>() * 1.4)).round() as u64;
    match workload {
        Workload::NodeApi => node(rng, ms, error),
        Workload::JavaApi => java(rng, ms, error),
        Workload::DjangoApi => django(rng, ms, error),
        Workload::PythonApi => fastapi(rng, ms, error),
        Workload::Frontend => frontend(rng, ms, error),
        Workload::Worker => worker(rng, container, ms, error),
        Workload::Redis => redis(rng, error),
        Workload::VectorDb => qdrant(rng, ms, error),
    }
}

fn node(rng: &mut impl Rng, ms: u64, error: bool) -> String {
    let req = format!("{:08x}", rng.random::<u32>());
    if error && rng.random_bool(0.5) {
        return format!(
            "error: unhandled rejection req_id={req}\nMongoServerSelectionError: connection timed out\n    at Timeout._onTimeout (/app/node_modules/mongodb/lib/sdam/topology.js:292:38)\n    at listOnTimeout (node:internal/timers:573:17)\n    at process.processTimers (node:internal/timers:514:7)"
        );
    }
    let level = if error { "error" } else { "info" };
    format!(
        "{level} {} {} {} {ms}ms req_id={req}",
        method(rng),
        path(rng),
        status(rng, error)
    )
}

fn java(rng: &mut impl Rng, ms: u64, error: bool) -> String {
    let thread = rng.random_range(1..50);
    if error {
        let id = rng.random_range(1..99_999);
        return format!(
            "ERROR 1 --- [nio-8080-exec-{thread}] o.a.c.c.C.[.[.[/].[dispatcherServlet] : Servlet.service() threw exception\njava.lang.IllegalStateException: Video {id} has no playable rendition\n\tat com.reelnet.video.VideoService.resolveStream(VideoService.java:142)\n\tat com.reelnet.video.VideoController.stream(VideoController.java:58)\n\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)"
        );
    }
    format!(
        " INFO 1 --- [nio-8080-exec-{thread}] c.r.api.RequestLogger : {} {} {} {ms}ms",
        method(rng),
        path(rng),
        status(rng, false)
    )
}

fn django(rng: &mut impl Rng, ms: u64, error: bool) -> String {
    if error {
        return format!(
            "{{\"levelname\": \"ERROR\", \"name\": \"django.request\", \"message\": \"Internal Server Error: {}\", \"status_code\": 500, \"duration_ms\": {ms}}}\nTraceback (most recent call last):\n  File \"/app/apps/stories/views.py\", line 88, in retrieve\n    chapter = Chapter.objects.select_related(\"story\").get(pk=pk)\ndjango.db.utils.OperationalError: could not connect to server: Connection timed out",
            path(rng)
        );
    }
    format!(
        "{{\"levelname\": \"INFO\", \"name\": \"django.request\", \"message\": \"{} {}\", \"status_code\": {}, \"duration_ms\": {ms}}}",
        method(rng),
        path(rng),
        status(rng, false)
    )
}

fn fastapi(rng: &mut impl Rng, ms: u64, error: bool) -> String {
    if error && rng.random_bool(0.5) {
        return "ERROR:    Exception in ASGI application\nTraceback (most recent call last):\n  File \"/app/api/routes/conversations.py\", line 61, in get_conversation\n    summary = await summarizer.fetch(conversation_id)\nhttpx.ReadTimeout: timed out".to_string();
    }
    let status = status(rng, error);
    let level = if error { "ERROR" } else { "INFO" };
    format!(
        "{level}:     {}:{} - \"{} {} HTTP/1.1\" {status} ({ms}ms)",
        client_ip(rng),
        rng.random_range(30_000..65_000),
        method(rng),
        path(rng)
    )
}

fn frontend(rng: &mut impl Rng, ms: u64, error: bool) -> String {
    if error {
        return format!(
            "Error: fetch failed (API {} responded 502)\n    at async fetchFeed (/app/.next/server/app/page.js:1:4821)",
            path(rng)
        );
    }
    let asset = rng.random_bool(0.6);
    if asset {
        format!(
            "GET /_next/static/chunks/{:06x}.js 200 in {}ms",
            rng.random::<u32>() & 0xff_ffff,
            ms / 8 + 1
        )
    } else {
        format!(
            "GET {} 200 in {ms}ms",
            pick(rng, &["/", "/browse", "/watch", "/account", "/search"])
        )
    }
}

fn worker(rng: &mut impl Rng, container: &str, ms: u64, error: bool) -> String {
    let job = format!(
        "{}-{}",
        &container[..container.len().min(4)],
        rng.random_range(1000..99_999)
    );
    if error {
        return format!(
            "ERROR worker.{container} job={job} status=failed attempt={} error=\"TimeoutError: upstream did not answer in 30s\"",
            rng.random_range(1..4)
        );
    }
    let secs = ms as f64 / 1000.0 * 4.0;
    format!("INFO worker.{container} job={job} status=done duration={secs:.1}s")
}

fn redis(rng: &mut impl Rng, error: bool) -> String {
    if error {
        return "1:M # WARNING: 95% of maxmemory used, evicting keys (policy allkeys-lru)"
            .to_string();
    }
    match rng.random_range(0..3) {
        0 => format!(
            "1:M * {} changes in 300 seconds. Saving...",
            rng.random_range(100..5000)
        ),
        1 => "1:M * Background saving started by pid 214".to_string(),
        _ => "1:C * DB saved on disk".to_string(),
    }
}

fn qdrant(rng: &mut impl Rng, ms: u64, error: bool) -> String {
    let status = if error { 500 } else { 200 };
    format!(
        "INFO actix_web::middleware::logger: {} \"POST /collections/documents/points/search HTTP/1.1\" {status} {} \"python-httpx/0.27\" {:.6}",
        client_ip(rng),
        rng.random_range(200..9000),
        ms as f64 / 1000.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn access_lines_carry_status_and_latency() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let l = line(&mut rng, Workload::NodeApi, "backend-api", 0.1, false);
        assert!(l.starts_with("info "), "{l}");
        assert!(l.contains("ms req_id="), "{l}");
    }

    #[test]
    fn java_errors_have_stack_traces() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let l = line(&mut rng, Workload::JavaApi, "backend", 0.1, true);
        assert!(l.contains("\n\tat com.reelnet"), "{l}");
    }
}
