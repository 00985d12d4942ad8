/** batch/v1: printJob and printCronJob in pkg/printers/internalversion/printers.go. */
import type { CronJob, Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import { AGE, CONTAINERS, IMAGES, NAME, column, printer, wide } from './columns.ts';
import { DOC } from './descriptions.ts';
import { humanDuration, parseTime, since } from './duration.ts';
import { containerCells, formatLabelSelector } from './format.ts';

/** hasJobCondition: the first condition of the type decides. */
const hasCondition = (conditions: JobCondition[] | undefined, type: string): boolean =>
  (conditions ?? []).find((c) => c.type === type)?.status === 'True';

function jobStatus(job: Job): string {
  const conditions = job.status?.conditions;
  if (hasCondition(conditions, 'Complete')) return 'Complete';
  if (hasCondition(conditions, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(conditions, 'Suspended')) return 'Suspended';
  if (hasCondition(conditions, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(conditions, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function completions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const wanted = job.spec?.completions;
  if (wanted !== undefined && wanted !== null) return `${succeeded}/${wanted}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(job: Job, now: number): string {
  const start = parseTime(job.status?.startTime);
  if (start === undefined) return '';
  const end = parseTime(job.status?.completionTime) ?? now;
  return humanDuration(end - start);
}

export const jobs = printer<Job>(
  [
    NAME,
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', DOC['JobStatus.succeeded']),
    column('Duration', 'string', 'Time required to complete the job.'),
    AGE,
    CONTAINERS,
    IMAGES,
    wide('Selector', 'string', DOC['JobSpec.selector']),
  ],
  (obj, now) => [
    obj.metadata?.name ?? '',
    jobStatus(obj),
    completions(obj),
    jobDuration(obj, now),
    since(obj.metadata?.creationTimestamp, now),
    ...containerCells(obj.spec?.template?.spec?.containers),
    formatLabelSelector(obj.spec?.selector),
  ],
);

export const cronJobs = printer<CronJob>(
  [
    NAME,
    column('Schedule', 'string', DOC['CronJobSpec.schedule']),
    column('Timezone', 'string', DOC['CronJobSpec.timeZone']),
    column('Suspend', 'boolean', DOC['CronJobSpec.suspend']),
    column('Active', 'integer', DOC['CronJobStatus.active']),
    column('Last Schedule', 'string', DOC['CronJobStatus.lastScheduleTime']),
    AGE,
    CONTAINERS,
    IMAGES,
    wide('Selector', 'string', DOC['JobSpec.selector']),
  ],
  (obj, now) => {
    const last = obj.status?.lastScheduleTime;
    const jobSpec = obj.spec?.jobTemplate?.spec;
    return [
      obj.metadata?.name ?? '',
      obj.spec?.schedule ?? '',
      obj.spec?.timeZone ?? '<none>',
      // printBoolPtr; SetDefaults_CronJob makes suspend false when unset, so "<unset>" never shows.
      (obj.spec?.suspend ?? false) ? 'True' : 'False',
      (obj.status?.active ?? []).length,
      last ? since(last, now) : '<none>',
      since(obj.metadata?.creationTimestamp, now),
      ...containerCells(jobSpec?.template?.spec?.containers),
      formatLabelSelector(jobSpec?.selector),
    ];
  },
);
