# Syncgate.psm1: the Veeam and Microsoft Graph synchronization cmdlets a
# runbook already calls, with the same names and parameters, answered by
# syncgate instead of the backends. A runbook changes one line:
#
#   Import-Module Veeam.Archiver.PowerShell      # before (or Microsoft.Graph.Beta.Applications)
#   Import-Module ./Syncgate.psm1                 # after
#
# and reads the gateway and its token from $env:SYNCGATE_URL and
# $env:SYNCGATE_TOKEN (or Connect-Syncgate). Requires PowerShell 7.
#
# Every call goes through Invoke-Syncgate on one line naming the route as
# openapi.yaml does: a test (cmd/syncgate's TestPowerShellModule... see
# examples/powershell/README.md) checks each route, path parameter, query
# parameter, header and body field against openapi.yaml.

$script:SyncgateUrl = $env:SYNCGATE_URL
$script:SyncgateToken = $env:SYNCGATE_TOKEN

function Connect-Syncgate {
    param(
        [Parameter(Mandatory)][string] $Uri,
        [Parameter(Mandatory)][string] $Token
    )
    $script:SyncgateUrl = $Uri.TrimEnd('/')
    $script:SyncgateToken = $Token
}

# Invoke-Syncgate calls one route; a refusal throws "<status> <type>: <detail>".
function Invoke-Syncgate {
    param(
        [Parameter(Mandatory)][string] $Method,
        [Parameter(Mandatory)][string] $Path,
        [hashtable] $PathParameters = @{},
        [hashtable] $Query = @{},
        [hashtable] $Headers = @{},
        [hashtable] $Body
    )
    if (-not $script:SyncgateUrl -or -not $script:SyncgateToken) {
        throw 'syncgate: set $env:SYNCGATE_URL and $env:SYNCGATE_TOKEN, or run Connect-Syncgate'
    }
    foreach ($name in $PathParameters.Keys) {
        $Path = $Path.Replace("{$name}", [uri]::EscapeDataString([string]$PathParameters[$name]))
    }
    $pairs = foreach ($name in $Query.Keys) {
        if ($null -ne $Query[$name]) { "$name=" + [uri]::EscapeDataString(([string]$Query[$name]).ToLowerInvariant()) }
    }
    $uri = $script:SyncgateUrl.TrimEnd('/') + $Path + $(if ($pairs) { '?' + ($pairs -join '&') } else { '' })
    $call = @{
        Method             = $Method
        Uri                = $uri
        Headers            = @{ Authorization = "Bearer $script:SyncgateToken" } + $Headers
        SkipHttpErrorCheck = $true
        StatusCodeVariable = 'status'
    }
    if ($null -ne $Body) {
        $call.Body = $Body | ConvertTo-Json -Depth 5 -Compress
        $call.ContentType = 'application/json'
    }
    $answer = Invoke-RestMethod @call
    if ($answer -is [string] -and $answer.StartsWith('{')) { $answer = $answer | ConvertFrom-Json }
    if ($status -ge 400) {
        throw "syncgate: $status $($answer.type): $($answer.detail)"
    }
    $answer
}

# The organization id of -Organization: a Get-VBOOrganization result or an id.
function Get-SyncgateOrganizationId($Organization) {
    if ($Organization.PSObject.Properties['id']) { return $Organization.id }
    [string]$Organization
}

function Get-VBOOrganization {
    param([string] $Id, [string] $Name)
    if ($Id) {
        return Invoke-Syncgate -Method GET -Path '/organizations/{organizationId}' -PathParameters @{ organizationId = $Id }
    }
    $offset = 0
    do {
        $page = Invoke-Syncgate -Method GET -Path '/organizations' -Query @{ limit = 1000; offset = $offset }
        $page.items | Where-Object { -not $Name -or $_.name -like $Name }
        $offset += $page.items.Count
    } while ($page.items.Count -eq 1000)
}

function Start-VBOOrganizationSynchronization {
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory, ValueFromPipeline)] $Organization,
        [switch] $Full,
        [switch] $Force,
        # The same key on a rerun replays the first answer and starts nothing.
        [string] $IdempotencyKey = [guid]::NewGuid().ToString()
    )
    process {
        $id = Get-SyncgateOrganizationId $Organization
        # -WhatIf asks the gateway what a start would do (dryRun), starting nothing.
        $dryRun = -not $PSCmdlet.ShouldProcess($id, 'Start organization cache synchronization')
        Invoke-Syncgate -Method POST -Path '/organizations/{organizationId}/sync' -PathParameters @{ organizationId = $id } -Query @{ dryRun = $dryRun; force = [bool]$Force } -Headers @{ 'Idempotency-Key' = $IdempotencyKey } -Body @{ full = [bool]$Full }
    }
}

function Get-VBOOrganizationSynchronizationState {
    param([Parameter(Mandatory, ValueFromPipeline)] $Organization)
    process {
        Invoke-Syncgate -Method GET -Path '/organizations/{organizationId}/sync' -PathParameters @{ organizationId = (Get-SyncgateOrganizationId $Organization) }
    }
}

function Get-MgBetaApplicationSynchronizationJob {
    param(
        [Parameter(Mandatory)][string] $ApplicationId,
        [string] $SynchronizationJobId
    )
    if ($SynchronizationJobId) {
        return Invoke-Syncgate -Method GET -Path '/applications/{applicationId}/jobs/{jobId}' -PathParameters @{ applicationId = $ApplicationId; jobId = $SynchronizationJobId }
    }
    (Invoke-Syncgate -Method GET -Path '/applications/{applicationId}/jobs' -PathParameters @{ applicationId = $ApplicationId } -Query @{ limit = 1000 }).items
}

function Start-MgBetaApplicationSynchronizationJob {
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)][string] $ApplicationId,
        [Parameter(Mandatory)][string] $SynchronizationJobId,
        [switch] $Force,
        [string] $IdempotencyKey = [guid]::NewGuid().ToString()
    )
    $dryRun = -not $PSCmdlet.ShouldProcess("$ApplicationId/$SynchronizationJobId", 'Start synchronization job')
    Invoke-Syncgate -Method POST -Path '/applications/{applicationId}/jobs/{jobId}/start' -PathParameters @{ applicationId = $ApplicationId; jobId = $SynchronizationJobId } -Query @{ dryRun = $dryRun; force = [bool]$Force } -Headers @{ 'Idempotency-Key' = $IdempotencyKey }
}

function Suspend-MgBetaApplicationSynchronizationJob {
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)][string] $ApplicationId,
        [Parameter(Mandatory)][string] $SynchronizationJobId,
        [string] $IdempotencyKey = [guid]::NewGuid().ToString()
    )
    $dryRun = -not $PSCmdlet.ShouldProcess("$ApplicationId/$SynchronizationJobId", 'Pause synchronization job')
    Invoke-Syncgate -Method POST -Path '/applications/{applicationId}/jobs/{jobId}/pause' -PathParameters @{ applicationId = $ApplicationId; jobId = $SynchronizationJobId } -Query @{ dryRun = $dryRun } -Headers @{ 'Idempotency-Key' = $IdempotencyKey }
}

function Restart-MgBetaApplicationSynchronizationJob {
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)][string] $ApplicationId,
        [Parameter(Mandatory)][string] $SynchronizationJobId,
        # As the cmdlet's: @{ ResetScope = 'Watermark, QuarantineState' }.
        [hashtable] $Criteria,
        [switch] $Force,
        [string] $IdempotencyKey = [guid]::NewGuid().ToString()
    )
    $scope = @()
    if ($Criteria -and $Criteria.ResetScope) { $scope = @(([string]$Criteria.ResetScope) -split '\s*,\s*' | Where-Object { $_ }) }
    $dryRun = -not $PSCmdlet.ShouldProcess("$ApplicationId/$SynchronizationJobId", 'Restart synchronization job')
    Invoke-Syncgate -Method POST -Path '/applications/{applicationId}/jobs/{jobId}/restart' -PathParameters @{ applicationId = $ApplicationId; jobId = $SynchronizationJobId } -Query @{ dryRun = $dryRun; force = [bool]$Force } -Headers @{ 'Idempotency-Key' = $IdempotencyKey } -Body @{ resetScope = $scope }
}
