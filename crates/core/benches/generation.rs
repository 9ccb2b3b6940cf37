//! Criterion benchmarks of generation: every operation in `ops` twice, as `<group>/selfsign/<alg>`
//! and `<group>/<peer>/<alg>`, so `bench/core-ratios.py` can print our overhead over rcgen.

#![forbid(unsafe_code)]

mod ops;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

fn generation(c: &mut Criterion) {
    let mut ops = ops::all();
    let mut i = 0;
    while i < ops.len() {
        let group_name = ops[i].group;
        let mut group = c.benchmark_group(group_name);
        while i < ops.len() && ops[i].group == group_name {
            let op = &mut ops[i];
            group.bench_function(BenchmarkId::new("selfsign", &op.alg), |b| {
                b.iter(&mut op.ours)
            });
            group.bench_function(BenchmarkId::new(op.peer_name, &op.alg), |b| {
                b.iter(&mut op.peer)
            });
            i += 1;
        }
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = generation
}
criterion_main!(benches);
