//! What the web root will and will not serve: never anything outside it (not even while a
//! directory is swapped for a symlink), nothing but regular files, no dotfiles unless asked, and
//! redirects that stay on this origin.

mod common;

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use selfsign_server::{ClientAuth, Limits, Mode};

fn client(running: &Running, pki: &Pki) -> Http<Tls> {
    Http::new(connect(running.addr(), &pki.client_config()).expect("connect"))
}

/// Serves `web` with dotfiles allowed or not.
fn serve(pki: &Pki, web: &WebRoot, serve_dotfiles: bool) -> Running {
    Running::start(
        Mode::Http {
            root: web.root.clone(),
            serve_dotfiles,
        },
        Limits::default(),
        pki.server_config(ClientAuth::None, true),
    )
}

#[test]
fn a_fifo_in_the_root_is_404_at_once_and_the_server_keeps_serving() {
    let (pki, web, running) = http_server(Limits::default());
    let fifo = web.root.join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo failed");
    let mut http = client(&running, &pki);
    // A server blocked in open(2) on the FIFO would never answer: fail in 3 s, not 10.
    http.stream
        .sock
        .set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    let r = http.get("/pipe").expect("an answer to GET /pipe");
    assert_eq!(r.status, 404);
    // Another connection is served too: the event loop is not stuck.
    assert_serves_index(running.addr(), &pki);
    running.stop();
}

#[test]
fn a_directory_swapped_for_a_symlink_outside_never_serves_the_outside_file() {
    let (pki, web, running) = http_server(Limits::default());
    let outside = web.parent.path().join("outside");
    let flip = web.root.join("flip");
    let parked = web.root.join("parked");
    fs::create_dir(&flip).expect("mkdir flip");
    fs::write(flip.join("secret.txt"), "inside").expect("write inside file");
    let stop = Arc::new(AtomicBool::new(false));
    let flipper = {
        let stop = stop.clone();
        let (flip, parked) = (flip.clone(), parked.clone());
        std::thread::spawn(move || {
            // The directory and a symlink to `outside` take turns at the same name.
            while !stop.load(Ordering::Relaxed) {
                fs::rename(&flip, &parked).expect("park the directory");
                std::os::unix::fs::symlink(&outside, &flip).expect("symlink outside");
                fs::remove_file(&flip).expect("remove the symlink");
                fs::rename(&parked, &flip).expect("restore the directory");
            }
        })
    };
    let mut answers = [0usize; 2];
    let deadline = Instant::now() + Duration::from_secs(4);
    let mut http = client(&running, &pki);
    for _ in 0..20_000 {
        if Instant::now() > deadline {
            break;
        }
        let r = http.get("/flip/secret.txt").expect("response");
        assert!(
            !r.text().contains(SECRET),
            "the file outside the web root was served after {answers:?} (200, 404) answers"
        );
        answers[usize::from(r.status != 200)] += 1;
    }
    stop.store(true, Ordering::Relaxed);
    flipper.join().expect("flipper thread");
    // Both states were seen, so the race was really run.
    assert!(answers[0] > 0 && answers[1] > 0, "answers {answers:?}");
    running.stop();
}

#[test]
fn dotfiles_are_404_by_default_and_well_known_is_served() {
    let pki = pki();
    let web = web_root();
    write_dotfiles(&web.root);
    let running = serve(&pki, &web, false);
    let mut http = client(&running, &pki);
    for path in [
        "/.env",
        "/.git/config",
        "/sub/.hidden/x",
        "/.well-known/.env",
    ] {
        let r = http.get(path).expect("response");
        assert_eq!(r.status, 404, "{path}");
    }
    let r = http.get("/.well-known/security.txt").expect("response");
    assert_eq!((r.status, r.text().as_str()), (200, "contact"));
    running.stop();
}

#[test]
fn serve_dotfiles_serves_them() {
    let pki = pki();
    let web = web_root();
    write_dotfiles(&web.root);
    let running = serve(&pki, &web, true);
    let mut http = client(&running, &pki);
    for (path, body) in [
        ("/.env", "API_KEY=1"),
        ("/.git/config", "[core]"),
        ("/sub/.hidden/x", "x"),
    ] {
        let r = http.get(path).expect("response");
        assert_eq!((r.status, r.text().as_str()), (200, body), "{path}");
    }
    running.stop();
}

fn write_dotfiles(root: &Path) {
    fs::write(root.join(".env"), "API_KEY=1").expect("write .env");
    fs::create_dir_all(root.join(".git")).expect("mkdir .git");
    fs::write(root.join(".git/config"), "[core]").expect("write .git/config");
    fs::create_dir_all(root.join("sub/.hidden")).expect("mkdir .hidden");
    fs::write(root.join("sub/.hidden/x"), "x").expect("write x");
    fs::create_dir_all(root.join(".well-known")).expect("mkdir .well-known");
    fs::write(root.join(".well-known/security.txt"), "contact").expect("write security.txt");
    fs::write(root.join(".well-known/.env"), "API_KEY=2").expect("write .env");
}

#[test]
fn a_directory_redirect_for_a_double_slash_path_stays_on_this_origin() {
    let (pki, _web, running) = http_server(Limits::default());
    let mut http = client(&running, &pki);
    for (path, location) in [("//sub", "/sub/"), ("///sub", "/sub/"), ("/sub", "/sub/")] {
        let r = http.get(path).expect("response");
        assert_eq!(r.status, 301, "{path}");
        assert_eq!(r.header("location"), Some(location), "{path}");
    }
    running.stop();
}
