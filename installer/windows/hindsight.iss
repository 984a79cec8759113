; Inno Setup script for the one-folder app that scripts/build-app makes on Windows
; (dist\hindsight\: hindsight.exe for the command line, hindsightw.exe for the desktop app
; without a console window, and _internal\).
;   py scripts\build-app
;   iscc /DAppVersion=0.1.0 installer\windows\hindsight.iss   -> dist\hindsight-0.1.0-windows-setup.exe
; A per-user install by default (no administrator needed); clips, settings and the clip
; library live in the user's folders and are kept by the uninstaller.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Hindsight"
#define AppExe "hindsightw.exe"

[Setup]
; The AppId identifies the installation for upgrades and the uninstaller: never change it.
AppId={{6E0B3F52-8D4C-4A57-9B8E-2C41D7A9F5E3}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Hindsight
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SourceDir=..\..
OutputDir=dist
OutputBaseFilename=hindsight-{#AppVersion}-windows-setup
SetupIconFile=installer\icons\hindsight.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
; A running recorder or app holds files in {app}: ask it to close before replacing them.
CloseApplications=yes
RestartApplications=no

[Tasks]
Name: "autostart"; Description: "Start Hindsight when I sign in (it records in the background; F8 saves a clip)"; GroupDescription: "Start-up:"; Flags: unchecked
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "dist\hindsight\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Gameplay clip recorder: the tray app and the clip library"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; Run value "Hindsight" in HKCU: the app's own "Start with the computer" setting must use this
; same name, so that either one can turn autostart off.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "{#AppName}"; ValueData: """{app}\{#AppExe}"""; Flags: uninsdeletevalue; Tasks: autostart
; `hindsight` from the Run dialog (Win+R) finds the command-line program.
Root: HKA; Subkey: "Software\Microsoft\Windows\CurrentVersion\App Paths\hindsight.exe"; ValueType: string; ValueName: ""; ValueData: "{app}\hindsight.exe"; Flags: uninsdeletekey

[Run]
Filename: "{app}\{#AppExe}"; Description: "Start {#AppName} now"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Python writes nothing into {app}, but a crash report or a stale lock might: leave no folder.
Type: dirifempty; Name: "{app}"
