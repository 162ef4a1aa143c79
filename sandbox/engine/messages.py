"""The words of the engine: every event-log entry and every error is a key + params, rendered here
in Korean or English, with the lessons' terms (마스터/레플리카, 세션, 로드밸런서, 헬스 체크, 샤드 …).

`render(key, params, lang)` formats a message; numbers are formatted for reading (thousands
separators, one decimal for seconds). A test checks that every key the engine can emit has both
languages.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("ko", "en")

# key -> (English, Korean). Placeholders are the event's or error's params.
MESSAGES: Mapping[str, tuple[str, str]] = {
    # --- Events: failures and recovery
    "node_failed": ("{node} failed", "{node} 장애 발생"),
    "master_failed": (
        "master {node} failed: writes fail until a replica is promoted",
        "마스터 {node} 장애: 레플리카(slave)가 승격될 때까지 쓰기가 실패합니다",
    ),
    "node_recovered": ("{node} recovered", "{node} 복구됨"),
    "failure_detected": (
        "health check: {node} is down (noticed after {after_s} s); its traffic goes to the others",
        "헬스 체크: {node} 다운 감지({after_s}초 후). 트래픽은 다른 서버로 갑니다",
    ),
    "failure_detected_no_spare": (
        "health check: {node} is down (noticed after {after_s} s) and there is no other server",
        "헬스 체크: {node} 다운 감지({after_s}초 후). 대신할 서버가 없습니다",
    ),
    "back_in_rotation": (
        "health check: {node} is healthy and receives traffic",
        "헬스 체크: {node} 정상, 트래픽을 받습니다",
    ),
    "master_failure_detected": (
        "failure of master {node} detected after {after_s} s",
        "마스터 {node} 장애 감지({after_s}초 후)",
    ),
    "promotion_started": ("promoting replica {node} to master", "레플리카 {node}를 마스터로 승격하는 중"),
    "replica_promoted": (
        "{node} promoted after {after_s} s, {lost} writes lost",
        "{node} 승격 완료({after_s}초 후), 잃은 쓰기 {lost}건",
    ),
    "awaiting_manual_promotion": (
        "master {node} is down and automatic failover is off: writes fail until you promote a replica",
        "마스터 {node} 다운, 자동 장애 조치가 꺼져 있습니다: 레플리카를 승격할 때까지 쓰기가 실패합니다",
    ),
    "no_replica_to_promote": (
        "master {node} is down and no replica is alive to promote",
        "마스터 {node} 다운, 승격할 수 있는 살아 있는 레플리카가 없습니다",
    ),
    "old_master_rejoined": (
        "{node} is back and rejoins as a replica of {master}",
        "{node} 복구, {master}의 레플리카로 다시 합류합니다",
    ),
    "master_back": (
        "master {node} is back before promotion: writes resume",
        "마스터 {node} 복구(승격 전): 쓰기 재개",
    ),
    "sessions_lost": (
        "{node} took {count} sessions with it: those users are logged out",
        "{node}와 함께 세션 {count}개가 사라졌습니다: 그 사용자들은 로그아웃됩니다",
    ),
    "sessions_remapped": (
        "ip hash over a new set of servers moved {count} users to servers without their session",
        "서버 구성이 바뀌어 IP 해시가 사용자 {count}명을 세션이 없는 서버로 보냈습니다",
    ),
    "overload_started": (
        "{node} is overloaded: its queue is full and requests are dropped",
        "{node} 과부하: 대기열이 가득 차 요청이 버려집니다",
    ),
    "overload_ended": ("{node} is no longer dropping requests", "{node} 요청 버림 멈춤"),
    "messages_dropped": (
        "queue {node} is full: new messages are lost",
        "메시지 큐 {node}가 가득 참: 새 메시지를 잃습니다",
    ),
    "sync_replication_degraded": (
        "no replica acknowledges writes: synchronous replication falls back to asynchronous",
        "쓰기를 확인해 줄 레플리카가 없습니다: 동기 복제가 비동기로 바뀝니다",
    ),
    # --- Events: topology and settings
    "server_added": ("{node} added ({size}), starting", "{node} 추가({size}), 시작하는 중"),
    "server_ready": ("{node} is up", "{node} 준비 완료"),
    "server_removed": ("{node} removed", "{node} 제거됨"),
    "server_draining": (
        "{node} drains: no new sessions, {sessions} still on it",
        "{node} 드레인: 새 세션을 받지 않음, 남은 세션 {sessions}개",
    ),
    "lb_added": (
        "load balancer {node} placed in front of the web servers",
        "로드밸런서 {node}를 웹 서버 앞에 배치",
    ),
    "node_resizing": (
        "{node} restarts to change size {old} → {size}",
        "{node} 크기 변경을 위해 재시작 {old} → {size}",
    ),
    "node_resized": ("{node} is back as {size}", "{node} {size} 크기로 복귀"),
    "users_changed": ("users: {users}", "사용자 수: {users}"),
    "traffic_changed": ("traffic: {pattern}", "트래픽: {pattern}"),
    "session_mode_changed": ("web tier is now {mode}", "웹 계층이 이제 {mode}입니다"),
    "sticky_changed": ("sticky sessions: {state}", "고정 세션: {state}"),
    "lb_algorithm_changed": ("load balancer algorithm: {algorithm}", "로드밸런서 알고리즘: {algorithm}"),
    "replication_mode_changed": ("replication: {mode}", "복제 방식: {mode}"),
    "auto_failover_changed": ("automatic failover: {state}", "자동 장애 조치: {state}"),
    "cache_changed": (
        "cache: {state}, {size_keys} keys per node, TTL {ttl_s} s",
        "캐시: {state}, 노드당 키 {size_keys}개, TTL {ttl_s}초",
    ),
    "cache_node_emptied": (
        "cache {node} is empty: it warms up again",
        "캐시 {node}가 비었습니다: 다시 채워집니다",
    ),
    "cdn_changed": ("CDN: {state}", "CDN(콘텐츠 전송 네트워크): {state}"),
    "dc_added": ("data center {dc} opened in {region}", "{region}에 데이터 센터 {dc} 개설"),
    "dc_failed": ("data center {dc} is down", "데이터 센터 {dc} 다운"),
    "dc_rerouted": (
        "GeoDNS: users in {region} now go to {dc}",
        "GeoDNS: {region} 사용자가 이제 {dc}로 갑니다",
    ),
    "dc_unreachable": (
        "GeoDNS: no data center left for users in {region}",
        "GeoDNS: {region} 사용자가 갈 데이터 센터가 없습니다",
    ),
    "dc_recovered": ("data center {dc} is back", "데이터 센터 {dc} 복구"),
    "queue_added": ("message queue {node} added", "메시지 큐 {node} 추가"),
    "consumers_changed": ("consumers: {count}", "소비자 수: {count}"),
    "shards_changed": (
        "database now has {count} shards; resharding moved {moved_pct}% of keys",
        "데이터베이스 샤드 {count}개; 재샤딩으로 키의 {moved_pct}%가 옮겨졌습니다",
    ),
    "hashing_changed": (
        "shard hashing: {scheme}; {moved_pct}% of keys moved",
        "샤드 해싱: {scheme}; 키의 {moved_pct}%가 옮겨졌습니다",
    ),
    "shard_key_changed": ("shard key: {key}", "샤드 키: {key}"),
    "hot_key_changed": (
        "hot key: {state}, {share_pct}% of requests, on {node}",
        "핫 키: {state}, 요청의 {share_pct}%, {node}에 있음",
    ),
    "autoscaling_changed": (
        "autoscaling {tier}: {state}, {min}–{max} servers, target {target_pct}%, cooldown {cooldown_s} s",
        "오토스케일링 {tier}: {state}, 서버 {min}–{max}대, 목표 {target_pct}%, 쿨다운 {cooldown_s}초",
    ),
    "autoscaled_out": (
        "autoscaling: {tier} at {util_pct}% > {target_pct}%, adding {node}",
        "오토스케일링: {tier} 사용률 {util_pct}% > {target_pct}%, {node} 추가",
    ),
    "autoscaled_in": (
        "autoscaling: {tier} at {util_pct}%, removing {node}",
        "오토스케일링: {tier} 사용률 {util_pct}%, {node} 제거",
    ),
    "service_split": (
        "service {service} split out: {share_pct}% of requests, its own servers",
        "{service} 서비스 분리: 요청의 {share_pct}%, 별도 서버",
    ),
    "service_merged": ("service {service} merged back into web", "{service} 서비스를 web으로 다시 합침"),
    # --- Errors: the validator
    "command_not_object": (
        'a command must be an object like {{"cmd": "fail_node", ...}}',
        '명령은 {{"cmd": "fail_node", ...}} 같은 객체여야 합니다',
    ),
    "command_missing": (
        'the command has no "cmd"; known commands: {allowed}',
        '명령에 "cmd"가 없습니다. 사용할 수 있는 명령: {allowed}',
    ),
    "command_unknown": (
        "unknown command {cmd}; known commands: {allowed}",
        "알 수 없는 명령 {cmd}. 사용할 수 있는 명령: {allowed}",
    ),
    "field_unknown": (
        "{cmd} has no field {field}; its fields: {allowed}",
        "{cmd} 명령에는 {field} 항목이 없습니다. 항목: {allowed}",
    ),
    "field_required": (
        "{cmd} needs {field} ({allowed})",
        "{cmd} 명령에는 {field} 값이 필요합니다({allowed})",
    ),
    "field_not_bool": (
        "{field} must be true or false, not {value}",
        "{field} 값은 true 또는 false여야 합니다({value} 아님)",
    ),
    "field_not_number": (
        "{field} must be a number in {allowed}, not {value}",
        "{field} 값은 {allowed} 범위의 숫자여야 합니다({value} 아님)",
    ),
    "field_not_integer": (
        "{field} must be a whole number in {allowed}, not {value}",
        "{field} 값은 {allowed} 범위의 정수여야 합니다({value} 아님)",
    ),
    "field_out_of_range": (
        "{field} must be in {allowed}, not {value}",
        "{field} 값은 {allowed} 범위여야 합니다({value} 아님)",
    ),
    "field_not_allowed": (
        "{field} must be one of {allowed}, not {value}",
        "{field} 값은 {allowed} 중 하나여야 합니다({value} 아님)",
    ),
    "field_not_name": (
        "{field} must be a short name, not {value}",
        "{field} 값은 짧은 이름이어야 합니다({value} 아님)",
    ),
    "field_not_shares": (
        "{field} must map regions ({allowed}) to shares ≥ 0, not all zero; got {value}",
        "{field} 값은 지역({allowed})별 0 이상의 비율이어야 하며 모두 0일 수 없습니다({value} 아님)",
    ),
    "field_min_above_max": (
        "min ({min}) must not be above max ({max})",
        "min({min})이 max({max})보다 클 수 없습니다",
    ),
    # --- Errors: the running lab
    "node_unknown": (
        "there is no node {value}; nodes: {allowed}",
        "{value} 노드가 없습니다. 노드: {allowed}",
    ),
    "node_wrong_tier": (
        "{cmd} cannot act on {value}; it works on: {allowed}",
        "{cmd} 명령은 {value}에 쓸 수 없습니다. 가능한 노드: {allowed}",
    ),
    "tier_full": (
        "the {tier} tier already has the maximum of {max} nodes",
        "{tier} 계층은 이미 최대 {max}개 노드입니다",
    ),
    "size_unknown": (
        "{value} is not a size for {node}; sizes: {allowed}",
        "{value}는 {node}의 크기가 아닙니다. 크기: {allowed}",
    ),
    "size_largest": (
        "{node} is already the largest size ({size}): there is no bigger machine",
        "{node}는 이미 가장 큰 크기({size})입니다: 더 큰 서버는 없습니다",
    ),
    "size_smallest": (
        "{node} is already the smallest size ({size})",
        "{node}는 이미 가장 작은 크기({size})입니다",
    ),
    "last_server": (
        "{value} is the last server of its pool; add another before removing it",
        "{value}는 그 풀의 마지막 서버입니다. 다른 서버를 먼저 추가하세요",
    ),
    "master_not_removable": (
        "{value} is the master; promote a replica instead",
        "{value}는 마스터입니다. 대신 레플리카를 승격하세요",
    ),
    "node_already_down": ("{value} is already down", "{value}는 이미 다운 상태입니다"),
    "node_not_down": ("{value} has not failed", "{value}는 장애 상태가 아닙니다"),
    "node_busy": (
        "{value} is busy ({status}); try again when it is up",
        "{value}는 지금 {status} 상태입니다. 준비된 뒤 다시 시도하세요",
    ),
    "master_alive": (
        "the master {master} is healthy: promote a replica only when the master has failed",
        "마스터 {master}가 정상입니다: 마스터에 장애가 났을 때만 레플리카를 승격하세요",
    ),
    "not_a_replica": (
        "{value} is not a replica; replicas: {allowed}",
        "{value}는 레플리카가 아닙니다. 레플리카: {allowed}",
    ),
    "replica_down": (
        "replica {value} is down and cannot be promoted",
        "레플리카 {value}가 다운되어 승격할 수 없습니다",
    ),
    "promotion_in_progress": ("a promotion is already in progress", "이미 승격이 진행 중입니다"),
    "db_sharded": (
        "the database is sharded: there is no master/replica pair (set shards to 1 first)",
        "데이터베이스가 샤딩되어 있어 마스터/레플리카 구성이 없습니다(먼저 샤드를 1로)",
    ),
    "dc_unknown": (
        "there is no data center {value}; data centers: {allowed}",
        "{value} 데이터 센터가 없습니다. 데이터 센터: {allowed}",
    ),
    "dc_full": (
        "at most {max} data centers, one per region",
        "데이터 센터는 지역마다 하나, 최대 {max}개입니다",
    ),
    "region_taken": (
        "{region} already has data center {dc}",
        "{region}에는 이미 데이터 센터 {dc}가 있습니다",
    ),
    "dc_already_down": ("data center {value} is already down", "데이터 센터 {value}는 이미 다운 상태입니다"),
    "dc_not_down": ("data center {value} has not failed", "데이터 센터 {value}는 장애 상태가 아닙니다"),
    "dc_down": ("data center {value} is down", "데이터 센터 {value}가 다운 상태입니다"),
    "service_unknown": (
        "there is no service {value}; services: {allowed}",
        "{value} 서비스가 없습니다. 서비스: {allowed}",
    ),
    "services_share_too_high": (
        "split services would take {total_pct}% of requests; at most {max_pct}% may leave the web service",
        "분리한 서비스가 요청의 {total_pct}%를 가져갑니다. "
        "web 서비스에서 최대 {max_pct}%까지만 분리할 수 있습니다",
    ),
    "traffic_shares_zero": (
        "read_share, write_share and static_share cannot all be 0",
        "read_share, write_share, static_share가 모두 0일 수는 없습니다",
    ),
    # --- Words used inside messages
    "state_on": ("on", "켜짐"),
    "state_off": ("off", "꺼짐"),
    # --- The command line
    "cli_unknown_preset": (
        "unknown preset {value}; presets: {allowed}",
        "알 수 없는 프리셋 {value}. 프리셋: {allowed}",
    ),
    "cli_bad_at": (
        "--at {value}: expected SECONDS COMMAND, e.g. --at 10 fail_node:node=web-2 ({reason})",
        "--at {value}: SECONDS COMMAND 형식이어야 합니다. 예: --at 10 fail_node:node=web-2 ({reason})",
    ),
    "cli_bad_number": (
        "{field} must be a number in {allowed}, not {value}",
        "{field} 값은 {allowed} 범위의 숫자여야 합니다({value} 아님)",
    ),
}

# Where each region's users are, as the lessons name the places (the lab and the charts use these).
REGION_NAMES: Mapping[str, tuple[str, str]] = {
    "ap-northeast": ("Seoul", "서울"),
    "us-east": ("Virginia (US East)", "버지니아(미국 동부)"),
    "eu-west": ("Frankfurt (Europe)", "프랑크푸르트(유럽)"),
}

SEVERITIES = ("info", "warning", "error")


class _Params(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def _format_value(value: object, lang: str) -> str:
    if isinstance(value, bool):
        return render("state_on" if value else "state_off", {}, lang)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == int(value) and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.1f}" if abs(value) >= 1 else f"{value:.3g}"
    if isinstance(value, list | tuple):
        if len(value) == 2 and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            return f"{_format_value(value[0], lang)}–{_format_value(value[1], lang)}"
        return ", ".join(_format_value(v, lang) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_format_value(v, lang)}" for k, v in value.items())
    if value is None:
        return "-"
    return str(value)


def render(key: str, params: Mapping[str, object] | None = None, lang: str = "en") -> str:
    """The message for `key` in `lang` ("ko" or "en"; anything else falls back to English)."""
    texts = MESSAGES.get(key)
    if texts is None:
        return key
    template = texts[1] if lang.startswith("ko") else texts[0]
    values = _Params({k: _format_value(v, lang) for k, v in (params or {}).items()})
    return template.format_map(values)


def region_name(region: str, lang: str = "en") -> str:
    """The place a region stands for, in `lang` (the region id itself when unknown)."""
    names = REGION_NAMES.get(region)
    if names is None:
        return region
    return names[1] if lang.startswith("ko") else names[0]


def language_from_env(environ: Mapping[str, str]) -> str:
    """Korean when LANGUAGE or LANG starts with `ko`, else English (for the command line)."""
    for name in ("LANGUAGE", "LANG"):
        value = environ.get(name, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"
